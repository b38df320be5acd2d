"""Copy the loaded partners and agreements into the database: the records the rest of the hub
(clients, uploads, audit events) refers to. Idempotent: running it twice changes nothing.

Each agreement file's content hash is a version. A new version is `proposed` (an
`agreement.proposed` event) and the versions before it `superseded` (`agreement.superseded`):
nothing new is shared under them, and every party must approve the new one. An older file
that comes back gets its approval back if every party had approved it (the event says
`approvals_restored`); otherwise it is proposed again, in a new approval round. Then the
transitions time brought (an agreement that ended while the hub was down) are recorded.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.exc import IntegrityError
from sqlmodel import select

from hub import audit, clock, db
from hub.agreements.current import current_policies
from hub.agreements.lifecycle import SYSTEM_ACTOR, TRANSITION_ACTIONS, settle_all
from hub.agreements.model import Policies
from hub.agreements.state import PROPOSED, SUPERSEDED
from hub.agreements.versions import approved_by_every_party
from hub.db.models import AgreementRecord, Partner


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
        result = _sync(policies)
    except IntegrityError:
        # Another process (a second worker starting) added the same rows a moment earlier.
        result = _sync(policies)
    if policies is current_policies():
        settle_all()
    return result


def _sync(policies: Policies) -> SyncResult:
    added = updated = versions = 0
    events: list[audit.NewEvent] = []
    with db.unit_of_work() as session:
        for partner in policies.partners.values():
            row = session.get(Partner, partner.id)
            if row is None:
                session.add(Partner(id=partner.id, name=partner.name, kind=partner.kind))
                added += 1
            elif (row.name, row.kind) != (partner.name, partner.kind):
                row.name, row.kind, row.loaded_at = partner.name, partner.kind, clock.now()
                session.add(row)
                updated += 1
        session.flush()  # the partners first: approvals and suspensions refer to them
        for agreement_id in sorted(policies.agreements):
            agreement = policies.agreements[agreement_id]
            content_hash = policies.files[agreement_id].sha256
            # Locked in id order, so that two processes starting at once queue here.
            rows = session.exec(
                select(AgreementRecord)
                .where(AgreementRecord.agreement_id == agreement_id)
                .order_by(AgreementRecord.id)
                .with_for_update()
            ).all()
            current = next((r for r in rows if r.content_hash == content_hash), None)
            if current is None:
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
                events.append(_event(agreement_id, content_hash, None, PROPOSED))
            elif current.status == SUPERSEDED:
                # An older file is back. If every party had approved it, that approval
                # stands again (the settling below makes it active); otherwise it is
                # proposed again in a new round and needs every party's approval anew.
                previous = current.status
                restored = approved_by_every_party(session, current)
                current.status, current.status_changed_at = PROPOSED, clock.now()
                if not restored:
                    current.approval_round += 1
                session.add(current)
                events.append(
                    _event(
                        agreement_id,
                        content_hash,
                        previous,
                        PROPOSED,
                        **(
                            {"approvals_restored": "every party approved this version"}
                            if restored
                            else {}
                        ),
                    )
                )
            for old in rows:
                if old.content_hash != content_hash and old.status != SUPERSEDED:
                    previous = old.status
                    old.status, old.status_changed_at = SUPERSEDED, clock.now()
                    session.add(old)
                    events.append(
                        _event(
                            agreement_id,
                            old.content_hash,
                            previous,
                            SUPERSEDED,
                            superseded_by=content_hash,
                        )
                    )
        session.flush()
        # Last, so that the audit log's head row is the last lock this transaction takes.
        for event in events:
            audit.append(session, event)
    return SyncResult(added, updated, versions)


def _event(
    agreement_id: str,
    version: str,
    previous: str | None,
    status: str,
    **details: str,
) -> audit.NewEvent:
    verb = "loaded, awaiting every party's approval" if status == PROPOSED else status
    return audit.NewEvent(
        action=TRANSITION_ACTIONS[status],
        resource=f"agreement:{agreement_id}",
        outcome="allowed",
        reason=f"Agreement `{agreement_id}` version {version[:12]} {verb}.",
        actor=SYSTEM_ACTOR,
        details={"version": version, "status": {"from": previous, "to": status}, **details},
    )
