"""Agreements in words for people: lawful bases and partner names as the pages and the s.62
report show them."""

from __future__ import annotations

from hub.agreements import Agreement, Part3Basis, Policies, UkGdprBasis


def basis_text(basis: UkGdprBasis | Part3Basis | None) -> str:
    """One line naming the legal references, e.g. "UK GDPR Art. 6(1)(e); Art. 9(2)(g)
    (Sch1 Pt2 para18)" or "DPA 2018 Part 3: s.35(2)(b); Sch8 para4"."""
    if basis is None:
        return ""
    if isinstance(basis, UkGdprBasis):
        parts = [f"Art. {basis.article6}"]
        if basis.article9:
            parts.append(f"Art. {basis.article9}")
        if basis.article10:
            parts.append("Art. 10")
        text = "UK GDPR " + "; ".join(parts)
        if basis.schedule1:
            text += f" (DPA 2018 {', '.join(basis.schedule1)})"
        return text
    parts = [f"s.{basis.section35}"] if basis.section35 else []
    parts += list(basis.schedule8)
    return "DPA 2018 Part 3" + (": " + "; ".join(parts) if parts else "")


def partner_name(policies: Policies, partner: str | None) -> str:
    if not partner:
        return ""
    known = policies.partners.get(partner)
    return known.name if known else partner


def recipients_of(agreement: Agreement, *, dataset: str, provider: str | None) -> list[str]:
    """The partners an upload of `dataset` by `provider` is disclosed to under `agreement`."""
    found: list[str] = []
    for share in agreement.shares(dataset=dataset, provider=provider):
        for recipient in share.recipients:
            if recipient.partner not in found:
                found.append(recipient.partner)
    return found
