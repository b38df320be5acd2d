"""Checks across files: what one agreement says against the partners, the contracts, the law
as the hub encodes it, and the other agreements. Each problem names the line and the fix.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable
from typing import Any

from hub.agreements.model import Agreement, Part3Basis, Partner, UkGdprBasis
from hub.contracts import Contract, Problem, YamlDocument

# Article 9(2) conditions that the DPA 2018 (s.10) completes with a Schedule 1 condition.
_ARTICLE9_NEEDS = {
    "9(2)(b)": ("Sch1 Pt1 para1",),
    "9(2)(h)": ("Sch1 Pt1 para2",),
    "9(2)(i)": ("Sch1 Pt1 para3",),
    "9(2)(j)": ("Sch1 Pt1 para4",),
    "9(2)(g)": ("Sch1 Pt2 ",),  # any substantial public interest condition, paras 6 to 28
}


class AgreementChecker:
    """Checks one agreement file; `problems` holds what it found."""

    def __init__(
        self,
        document: YamlDocument,
        agreement: Agreement,
        *,
        partners: dict[str, Partner] | None,
        contracts: dict[str, Contract],
        broken_contracts: frozenset[str] = frozenset(),
    ):
        self.document = document
        self.agreement = agreement
        # None when partners.yaml itself failed: then partner ids cannot be checked.
        self.partners = partners
        self.contracts = contracts
        self.broken_contracts = broken_contracts
        self.problems: list[Problem] = []

    def problem(self, location: Iterable[Any], problem: str, fix: str) -> None:
        self.problems.append(
            Problem(self.document.path, self.document.line(tuple(location)), problem, fix)
        )

    def run(self) -> list[Problem]:
        self._file_name()
        self._dates()
        self._parties()
        self._lawful_basis()
        self._datasets()
        self._roles_used()
        return sorted(set(self.problems))

    def _file_name(self) -> None:
        stem = self.document.path.stem
        if self.agreement.id != stem:
            self.problem(
                ["id"],
                f"agreement id `{self.agreement.id}` is not the file's name `{stem}`",
                f"set `id: {stem}` or rename the file to {self.agreement.id}.yaml",
            )

    def _dates(self) -> None:
        a = self.agreement
        if a.end < a.start:
            self.problem(
                ["end"],
                f"the agreement ends ({a.end}) before it starts ({a.start})",
                "correct `start` or `end`",
            )
            return
        if not a.start <= a.review_date <= a.end:
            self.problem(
                ["review_date"],
                f"the review date {a.review_date} is outside the agreement's term ({a.start} to "
                f"{a.end})",
                "set a review date between `start` and `end`",
            )

    def _parties(self) -> None:
        seen: set[str] = set()
        for index, party in enumerate(self.agreement.parties):
            where = ["parties", index, "partner"]
            if party.partner in seen:
                self.problem(
                    where,
                    f"partner `{party.partner}` is listed twice",
                    "list each party once, with all its roles",
                )
            seen.add(party.partner)
            self._known_partner(where, party.partner)

    def _known_partner(self, where: list[Any], partner: str) -> bool:
        if self.partners is None or partner in self.partners:
            return True
        near = difflib.get_close_matches(partner, list(self.partners), n=1)
        hint = f" (did you mean `{near[0]}`?)" if near else ""
        self.problem(
            where,
            f"unknown partner `{partner}`{hint}",
            "use an id from policies/partners.yaml, or add the partner there",
        )
        return False

    def _lawful_basis(self) -> None:
        a = self.agreement
        seen: set[str] = set()
        for index, basis in enumerate(a.lawful_basis):
            where = ["lawful_basis", index]
            if basis.provider in seen:
                self.problem(
                    [*where, "provider"],
                    f"provider `{basis.provider}` has two lawful bases",
                    "keep one entry per provider",
                )
                continue
            seen.add(basis.provider)
            if a.party(basis.provider) is None:
                self.problem(
                    [*where, "provider"],
                    f"`{basis.provider}` has a lawful basis but is not a party",
                    "add it to `parties` with the role provider, or remove this entry",
                )
                continue
            if not a.has_role(basis.provider, "provider"):
                self.problem(
                    [*where, "provider"],
                    f"`{basis.provider}` has a lawful basis but is not a provider",
                    f"give `{basis.provider}` the role provider in `parties`, or remove this entry",
                )
            provided = [
                self.contracts[d.dataset]
                for d in a.datasets
                if d.provider == basis.provider and d.dataset in self.contracts
            ]
            if isinstance(basis, UkGdprBasis):
                self._uk_gdpr(where, basis, provided)
            else:
                self._part3(where, basis, provided)
        for index, party in enumerate(a.parties):
            if "provider" in party.roles and party.partner not in seen:
                self.problem(
                    ["parties", index, "partner"],
                    f"provider `{party.partner}` has no lawful basis",
                    f"add a `lawful_basis` entry with `provider: {party.partner}` (regime, "
                    "article 6 or section 35 condition)",
                )

    def _uk_gdpr(self, where: list[Any], basis: UkGdprBasis, provided: list[Contract]) -> None:
        who = basis.provider
        special = [c.dataset for c in provided if c.special_category]
        if special and basis.article9 is None:
            self.problem(
                [*where, "regime"],
                f"`{who}` shares special category data ({', '.join(special)}) without an Article "
                "9 condition",
                "add `article9:` (e.g. 9(2)(g)) and the Schedule 1 condition it needs under "
                "`schedule1:`",
            )
        criminal = [c.dataset for c in provided if c.criminal_offence_data]
        if criminal and not basis.article10:
            self.problem(
                [*where, "regime"],
                f"`{who}` shares criminal offence data ({', '.join(criminal)}) without Article 10",
                "add `article10: true` and a DPA 2018 Schedule 1 condition under `schedule1:`",
            )
        needs = _ARTICLE9_NEEDS.get(basis.article9 or "")
        if needs and not any(c.startswith(needs) for c in basis.schedule1):
            wanted = " or ".join(n.strip() for n in needs)
            self.problem(
                [*where, "article9"],
                f"Article {basis.article9} needs a DPA 2018 Schedule 1 condition ({wanted}...)",
                "add it under `schedule1:`, e.g. `- Sch1 Pt2 para18` for safeguarding",
            )
        if basis.article10 and not basis.schedule1:
            self.problem(
                [*where, "article10"],
                "Article 10 processing needs a DPA 2018 Schedule 1 condition",
                "add it under `schedule1:`, e.g. `- Sch1 Pt2 para10` (preventing or detecting "
                "unlawful acts)",
            )

    def _part3(self, where: list[Any], basis: Part3Basis, provided: list[Contract]) -> None:
        who = basis.provider
        if basis.section35 is None:
            self.problem(
                [*where, "regime"],
                f"`{who}` shares under DPA 2018 Part 3 without the section 35 condition",
                "add `section35: 35(2)(b)` (necessary for a law enforcement task) or `35(2)(a)` "
                "(consent)",
            )
        sensitive = [c.dataset for c in provided if c.special_category]
        if not sensitive:
            return
        if basis.section35 != "35(2)(a)" and not basis.schedule8:
            self.problem(
                [*where, "regime"],
                f"`{who}` shares data for sensitive processing ({', '.join(sensitive)}) without a "
                "Schedule 8 condition (s.35(5))",
                "add `schedule8:` with the condition, e.g. `- Sch8 para4` (safeguarding of "
                "children and individuals at risk)",
            )
        if not basis.appropriate_policy_document:
            self.problem(
                [*where, "regime"],
                f"sensitive processing by `{who}` needs an appropriate policy document (s.35(4) "
                "and (5), s.42)",
                "add `appropriate_policy_document:` with its reference",
            )

    def _datasets(self) -> None:
        a = self.agreement
        seen: set[tuple[str, str]] = set()
        for index, share in enumerate(a.datasets):
            where = ["datasets", index]
            key = (share.dataset, share.provider)
            if key in seen:
                self.problem(
                    [*where, "dataset"],
                    f"`{share.dataset}` from `{share.provider}` is listed twice",
                    "merge the two entries",
                )
                continue
            seen.add(key)
            contract = self.contracts.get(share.dataset)
            if contract is None and share.dataset not in self.broken_contracts:
                near = difflib.get_close_matches(share.dataset, list(self.contracts), n=1)
                hint = f" (did you mean `{near[0]}`?)" if near else ""
                self.problem(
                    [*where, "dataset"],
                    f"unknown dataset `{share.dataset}`{hint}: no contract defines it",
                    "use the id of a contract under contracts/, or add "
                    "contracts/<kind>/<dataset>.yaml",
                )
            self._provider(where, share.provider, contract)
            recipients: set[str] = set()
            for r_index, recipient in enumerate(share.recipients):
                r_where = [*where, "recipients", r_index]
                if recipient.partner in recipients:
                    self.problem(
                        [*r_where, "partner"],
                        f"recipient `{recipient.partner}` is listed twice for `{share.dataset}`",
                        "merge its fields into one entry",
                    )
                recipients.add(recipient.partner)
                self._recipient(r_where, recipient.partner)
                if contract is not None:
                    self._fields(r_where, recipient.fields, contract)

    def _provider(self, where: list[Any], provider: str, contract: Contract | None) -> None:
        a = self.agreement
        if not self._known_partner([*where, "provider"], provider):
            return
        if a.party(provider) is None:
            self.problem(
                [*where, "provider"],
                f"provider `{provider}` is not a party",
                "add it to `parties` with the role provider",
            )
            return
        if not a.has_role(provider, "provider"):
            self.problem(
                [*where, "provider"],
                f"`{provider}` provides data but is not a provider",
                f"give `{provider}` the role provider in `parties`",
            )
        partner = self.partners.get(provider) if self.partners else None
        if contract is not None and partner is not None and partner.kind != contract.provider_kind:
            self.problem(
                [*where, "provider"],
                f"`{contract.dataset}` is a {contract.provider_kind} dataset but `{provider}` is "
                f"a {partner.kind}",
                f"name a {contract.provider_kind} partner as provider, or use a {partner.kind} "
                "contract",
            )

    def _recipient(self, where: list[Any], partner: str) -> None:
        a = self.agreement
        if not self._known_partner([*where, "partner"], partner):
            return
        if a.party(partner) is None:
            self.problem(
                [*where, "partner"],
                f"recipient `{partner}` is not a party",
                "add it to `parties` with the role recipient",
            )
        elif not a.has_role(partner, "recipient"):
            self.problem(
                [*where, "partner"],
                f"`{partner}` receives data but is not a recipient",
                f"give `{partner}` the role recipient in `parties`",
            )

    def _fields(self, where: list[Any], fields: list[str], contract: Contract) -> None:
        seen: set[str] = set()
        for index, name in enumerate(fields):
            at = [*where, "fields", index]
            if name in seen:
                self.problem(at, f"field `{name}` is listed twice", "list it once")
                continue
            seen.add(name)
            column = contract.column(name)
            if column is not None and column.source_record_ref:
                self.problem(
                    at,
                    f"field `{name}` is the source record reference of `{contract.dataset}`: it "
                    "is kept outside the dataset table and shared with no recipient (only an "
                    "approved re-identification reveals it, to the requester)",
                    "remove it from the recipient's fields",
                )
                continue
            if column is None:
                near = difflib.get_close_matches(name, list(contract.column_names), n=1)
                fix = (
                    f"did you mean `{near[0]}`? Field names are the contract's column names, "
                    "exactly"
                    if near
                    else f"use a column of {contract.dataset}: {', '.join(contract.column_names)}"
                )
                self.problem(at, f"`{contract.dataset}` has no field `{name}`", fix)

    def _roles_used(self) -> None:
        a = self.agreement
        providers = {d.provider for d in a.datasets}
        recipients = {r.partner for d in a.datasets for r in d.recipients}
        for index, party in enumerate(a.parties):
            where = ["parties", index, "roles"]
            if "provider" in party.roles and party.partner not in providers:
                self.problem(
                    where,
                    f"`{party.partner}` is a provider but provides no dataset",
                    "add its dataset under `datasets`, or drop the role",
                )
            if "recipient" in party.roles and party.partner not in recipients:
                self.problem(
                    where,
                    f"`{party.partner}` is a recipient but receives no fields",
                    "name it under a dataset's `recipients`, or drop the role",
                )


def check_across(
    documents: dict[str, YamlDocument], agreements: dict[str, Agreement]
) -> list[Problem]:
    """Problems between agreements: ids and linkage domains must be unique."""
    problems: list[Problem] = []
    ids: dict[str, str] = {}
    domains: dict[str, str] = {}
    for name, agreement in agreements.items():
        document = documents[name]
        if agreement.id in ids:
            problems.append(
                Problem(
                    document.path,
                    document.line(["id"]),
                    f"agreement id `{agreement.id}` is also used by {ids[agreement.id]}",
                    "give each agreement its own id",
                )
            )
        ids.setdefault(agreement.id, document.path.name)
        if agreement.linkage_domain in domains:
            problems.append(
                Problem(
                    document.path,
                    document.line(["linkage_domain"]),
                    f"linkage domain `{agreement.linkage_domain}` is also used by "
                    f"{domains[agreement.linkage_domain]}: two agreements would share pseudonyms",
                    "give this agreement its own linkage domain",
                )
            )
        domains.setdefault(agreement.linkage_domain, document.path.name)
    return problems
