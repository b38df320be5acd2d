"""Copy the loaded partners and agreements into the database: the records the rest of the hub
(clients, uploads, audit events) refers to. Idempotent: running it twice changes nothing.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.exc import IntegrityError
from sqlmodel import select

from hub import db
from hub.agreements.decide import current_policies
from hub.agreements.model import Policies
from hub.db.models import AgreementRecord, Partner, utcnow

PROPOSED = "proposed"


@dataclass(frozen=True)
class SyncResult:
    partners_added: int
    partners_updated: int
    agreement_versions_added: int


def sync_to_database(*, policies: Policies | None = None) -> SyncResult:
    """Upsert partners and add one AgreementRecord per agreement file version (content hash).

    Runs inside an app context. Partners no longer in partners.yaml are left alone: clients,
    uploads and audit events still name them.
    """
    policies = policies if policies is not None else current_policies()
    try:
        return _sync(policies)
    except IntegrityError:
        # Another process (a second worker starting) added the same rows a moment earlier.
        return _sync(policies)


def _sync(policies: Policies) -> SyncResult:
    added = updated = versions = 0
    with db.unit_of_work() as session:
        for partner in policies.partners.values():
            row = session.get(Partner, partner.id)
            if row is None:
                session.add(Partner(id=partner.id, name=partner.name, kind=partner.kind))
                added += 1
            elif (row.name, row.kind) != (partner.name, partner.kind):
                row.name, row.kind, row.loaded_at = partner.name, partner.kind, utcnow()
                session.add(row)
                updated += 1
        for agreement_id, agreement in policies.agreements.items():
            content_hash = policies.files[agreement_id].sha256
            known = session.exec(
                select(AgreementRecord.id).where(
                    AgreementRecord.agreement_id == agreement_id,
                    AgreementRecord.content_hash == content_hash,
                )
            ).first()
            if known is not None:
                continue
            session.add(
                AgreementRecord(
                    agreement_id=agreement_id,
                    content_hash=content_hash,
                    title=agreement.title,
                    status=PROPOSED,
                    document=agreement.model_dump(mode="json"),
                )
            )
            versions += 1
    return SyncResult(added, updated, versions)
