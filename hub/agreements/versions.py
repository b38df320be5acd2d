"""What an IG officer approves: an agreement's content, and how a new version differs from
the last one every party approved, field by field.

The content is the file as loaded (`AgreementRecord.document`). The difference walks both
documents: lists of parties, lawful bases, datasets and recipients are matched by what names
them (partner, provider, dataset), so that reordering a list is no change and each changed
field is named by where it sits, e.g. `datasets[police-street-crime].recipients
[northshire-council].fields`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlmodel import select

from hub import db
from hub.db.models import AgreementApproval, AgreementRecord

# The keys that name the items of a list of objects, tried in order.
_ITEM_KEYS = ("dataset", "partner", "provider", "id")
_MISSING = object()


@dataclass(frozen=True)
class Change:
    path: str
    before: Any  # None when added
    after: Any  # None when removed

    @property
    def kind(self) -> str:
        if self.before is None:
            return "added"
        if self.after is None:
            return "removed"
        return "changed"


@dataclass(frozen=True)
class VersionDiff:
    base_version: str  # the last version every party approved
    changes: list[Change]


def _item_key(item: Any) -> str | None:
    if isinstance(item, dict):
        for key in _ITEM_KEYS:
            if isinstance(item.get(key), str):
                return item[key]
    return None


def _keyed(items: list) -> dict[str, Any] | None:
    keys = [_item_key(item) for item in items]
    if not items or None in keys or len(set(keys)) != len(keys):
        return None
    return dict(zip(keys, items, strict=True))


def field_changes(before: Any, after: Any, path: str = "") -> list[Change]:
    """Every field that differs between two documents, in the order of `after` (then
    what was removed)."""
    if before == after:
        return []
    if isinstance(before, dict) and isinstance(after, dict):
        out: list[Change] = []
        for key in list(after) + [k for k in before if k not in after]:
            sub = f"{path}.{key}" if path else str(key)
            old, new = before.get(key, _MISSING), after.get(key, _MISSING)
            if old is _MISSING:
                out.append(Change(sub, None, new))
            elif new is _MISSING:
                out.append(Change(sub, old, None))
            else:
                out.extend(field_changes(old, new, sub))
        return out
    if isinstance(before, list) and isinstance(after, list):
        old_items, new_items = _keyed(before), _keyed(after)
        if old_items is not None and new_items is not None:
            return _list_changes(old_items, new_items, path)
    return [Change(path, before, after)]


def _list_changes(before: dict[str, Any], after: dict[str, Any], path: str) -> list[Change]:
    out: list[Change] = []
    for key in list(after) + [k for k in before if k not in after]:
        sub = f"{path}[{key}]"
        if key not in before:
            out.append(Change(sub, None, after[key]))
        elif key not in after:
            out.append(Change(sub, before[key], None))
        else:
            out.extend(field_changes(before[key], after[key], sub))
    return out


def approved_by_every_party(session, record: AgreementRecord) -> bool:
    """Whether every party of this version approved it in its latest round."""
    parties = {p["partner"] for p in (record.document or {}).get("parties", [])}
    approved = set(
        session.exec(
            select(AgreementApproval.partner_id).where(
                AgreementApproval.agreement_record_id == record.id,
                AgreementApproval.approval_round == record.approval_round,
            )
        ).all()
    )
    return bool(parties) and parties <= approved


def document_of(agreement_id: str, version: str) -> dict[str, Any] | None:
    """The loaded document of one version, or None if the hub has no such version."""
    with db.read_only() as session:
        record = session.exec(
            select(AgreementRecord).where(
                AgreementRecord.agreement_id == agreement_id,
                AgreementRecord.content_hash == version,
            )
        ).first()
        return dict(record.document) if record is not None else None


def diff_from_last_approved(agreement_id: str, version: str) -> VersionDiff | None:
    """How `version` differs from the latest other version every party approved; None if
    there is none (a first version) or the hub does not have `version`."""
    with db.read_only() as session:
        records = session.exec(
            select(AgreementRecord)
            .where(AgreementRecord.agreement_id == agreement_id)
            .order_by(AgreementRecord.id.desc())
        ).all()
        current = next((r for r in records if r.content_hash == version), None)
        if current is None:
            return None
        base = next(
            (
                r
                for r in records
                if r.content_hash != version and approved_by_every_party(session, r)
            ),
            None,
        )
        if base is None:
            return None
        return VersionDiff(
            base_version=base.content_hash,
            changes=field_changes(dict(base.document), dict(current.document)),
        )
