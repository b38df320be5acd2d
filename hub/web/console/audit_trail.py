"""The audit trail: /console/audit (filtered, newest first, paged) and /console/audit/<index>
(one event, every field, and its inclusion proof against the latest signed checkpoint).

Both are decided as `audit.read`, like GET /api/v1/audit/events. The proof is computed and
checked here with hub.audit's RFC 6962 functions, and the page carries what a browser
needs to check it again by itself (the leaf, the proof, the signed note): a few lines of
JavaScript recompute the root with WebCrypto, so the person reading it need not trust the
server's word that it verified.
"""

from __future__ import annotations

import base64
import hmac
import json
import re
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from flask import current_app, render_template, request
from sqlalchemy import select

from hub import agreements, audit, db, errors, governance
from hub.audit import merkle
from hub.db.models import AuditCheckpoint, AuditEvent
from hub.views import EXTENSION as VIEWS
from hub.web.console import bp, note_view, officer
from hub.web.session import signed_in

READ = "audit.read"
PAGE_SIZE = 50
MAX_INDEX = 2**63
OUTCOMES = ("allowed", "denied", "failed")
_ACTION = re.compile(r"^[A-Za-z0-9._-]{1,100}$")
_CLIENT = re.compile(r"^[A-Za-z0-9._:@-]{1,64}$")

# Offered in the action filter's list; any other action name may be typed.
KNOWN_ACTIONS = (
    "agreement.approve",
    "agreement.list",
    "agreement.read",
    "agreement.resume",
    "agreement.suspend",
    "audit.read",
    "audit.verify",
    "client.manage",
    "console.view",
    "contract.read",
    "dataset.upload",
    "session.end",
    "session.start",
    "token.issue",
    "upload.published",
    "upload.read",
    "upload.rejected",
    "upload.validated",
    "upload.withdraw",
    "upload.withdrawn",
    "view.list",
    "view.query",
    "view.read",
)


@dataclass
class Filters:
    """The audit trail's filters as given in the query string, checked."""

    partner: str = ""
    analyst: str = ""
    view: str = ""
    action: str = ""
    outcome: str = ""
    date_from: str = ""
    date_to: str = ""
    problems: list[str] = field(default_factory=list)

    @property
    def used(self) -> list[str]:
        names = ("partner", "analyst", "view", "action", "outcome", "date_from", "date_to")
        return [name for name in names if getattr(self, name)]

    def query_string(self, **extra: Any) -> str:
        from urllib.parse import urlencode

        values = {name: getattr(self, name) for name in self.used}
        values.update({k: v for k, v in extra.items() if v is not None})
        return urlencode(values)


def _day(text: str, label: str, problems: list[str]) -> date | None:
    if not text:
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        problems.append(f"{label} must be a date such as 2026-01-31; “{text[:20]}” is not one.")
        return None


def _start_of(day: date) -> datetime:
    return datetime.combine(day, time.min, tzinfo=UTC)


def read_filters(
    args, *, partners: list[str], views: list[str]
) -> tuple[Filters, audit.EventFilter]:
    """The filters from the query string and the EventFilter they make; a value that is not
    valid is dropped, with a problem saying why."""
    f = Filters(
        **{
            name: (args.get(name) or "").strip()
            for name in Filters.__annotations__
            if name != "problems"
        }
    )
    problems = f.problems
    if f.partner and f.partner not in partners:
        problems.append("Partner: choose one from the list.")
        f.partner = ""
    if f.analyst and not _CLIENT.match(f.analyst):
        problems.append("Analyst: give a client id (letters, digits, . _ - : @; up to 64).")
        f.analyst = ""
    if f.view and f.view not in views:
        problems.append("View: choose one from the list.")
        f.view = ""
    if f.action and not _ACTION.match(f.action):
        problems.append("Action: an action name such as view.query.")
        f.action = ""
    if f.outcome and f.outcome not in OUTCOMES:
        problems.append("Outcome: allowed, denied or failed.")
        f.outcome = ""
    since = _day(f.date_from, "From", problems)
    until = _day(f.date_to, "To", problems)
    if since is None:
        f.date_from = ""
    if until is None:
        f.date_to = ""
    if since and until and until < since:
        problems.append("To must not be before From.")
        f.date_to, until = "", None
    where = audit.EventFilter(
        actor=f.analyst or None,
        partner=f.partner or None,
        action=f.action or None,
        outcome=f.outcome or None,
        since=_start_of(since) if since else None,
        # The To day is included: events before the start of the next day.
        until=_start_of(until + timedelta(days=1)) if until else None,
        resource_contains=f"view:{f.view}" if f.view else None,
    )
    return f, where


def _view_ids() -> list[str]:
    state = current_app.extensions.get(VIEWS)
    return sorted(state.views) if state is not None else []


def _authorise() -> None:
    agreements.enforce(agreements.decide(officer(), READ, agreements.Resource(kind="audit")))


def _page_cursor(value: str | None) -> int | None:
    if not value:
        return None
    try:
        before = int(value)
    except ValueError as exc:
        raise errors.InvalidRequest(
            "`before` is an event index from the “older events” link; start again from the "
            "first page."
        ) from exc
    if before < 0:
        raise errors.InvalidRequest("`before` must not be negative.")
    return min(before, MAX_INDEX - 1)


@bp.get("/audit")
@signed_in("ig_officer")
def audit_trail():
    policies = agreements.current_policies()
    partners = sorted(policies.partners)
    views = _view_ids()
    filters, where = read_filters(request.args, partners=partners, views=views)
    note_view(filters=filters.used)
    before = _page_cursor(request.args.get("before"))
    used = filters.used + (["before"] if before is not None else [])
    note_view(filters=used)
    _authorise()
    with db.read_only() as session:
        rows = audit.read_events(
            session,
            where,
            before=before,
            newest_first=True,
            limit=PAGE_SIZE + 1,
            scope=governance.audit_scope(officer()),
        )
        events = [_summary(row) for row in rows[:PAGE_SIZE]]
    older = events[-1]["index"] if len(rows) > PAGE_SIZE else None
    note_view(filters=used, returned=len(events))
    return render_template(
        "console/audit.html",
        filters=filters,
        events=events,
        partners=partners,
        views=views,
        actions=KNOWN_ACTIONS,
        outcomes=OUTCOMES,
        older_link=f"?{filters.query_string(before=older)}" if older is not None else None,
        first_link=f"?{filters.query_string()}" if before is not None else None,
    ), (400 if filters.problems else 200)


def _utc(moment: datetime) -> datetime:
    # SQLite hands back naive datetimes; the hub writes them in UTC.
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _time(moment: datetime) -> str:
    return _utc(moment).astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S UTC")


def _summary(row: AuditEvent) -> dict[str, Any]:
    return {
        "index": row.index,
        "time": _time(row.time),
        "client": row.actor_client,
        "who": {
            "kind": row.actor_kind or "",
            "name": row.actor_name or "",
            "issuer": row.actor_issuer or "",
            "subject": row.actor_subject or "",
            "owner": row.actor_owner or "",
        },
        "partner": row.actor_partner,
        "roles": list(row.actor_roles or []),
        "action": row.action,
        "resource": row.resource,
        "outcome": row.outcome,
        "reason": row.reason,
    }


# -- one event and its proof ----------------------------------------------------------------


@dataclass(frozen=True)
class Proof:
    """An event's inclusion proof against a signed checkpoint, checked here."""

    note: str
    verifier_key: str
    size: int
    root_hex: str
    proof_hex: list[str]
    signature_ok: bool
    leaf_matches: bool  # the stored leaf bytes are the event's fields, canonically
    leaf_hash_ok: bool  # SHA-256(0x00 || leaf) is the stored leaf hash
    included: bool  # the proof leads from the leaf hash to the checkpoint's root
    problem: str | None = None

    @property
    def verified(self) -> bool:
        return self.signature_ok and self.leaf_matches and self.leaf_hash_ok and self.included


def _latest_checkpoint_covering(index: int) -> AuditCheckpoint:
    """The latest signed checkpoint; one signed now if none covers the event yet. (Only a
    signed-in IG officer gets here; the public GET /api/v1/audit/checkpoint never signs.)"""
    with db.read_only() as session:
        latest = session.execute(
            select(AuditCheckpoint).order_by(AuditCheckpoint.size.desc()).limit(1)
        ).scalar_one_or_none()
        if latest is not None and latest.size > index:
            session.expunge(latest)
            return latest
    return audit.signed_checkpoint(current_app)


def _prove(row: AuditEvent) -> Proof:
    settings = current_app.extensions["hub.settings"]
    key = current_app.extensions["hub.keys"].audit_signing_key
    verifier = audit.verifier_key(settings.effective_audit_origin, key)
    checkpoint = _latest_checkpoint_covering(row.index)
    rebuilt = audit.leaf_bytes(
        index=row.index,
        time=_utc(row.time),
        request_id=row.request_id,
        actor=audit.Actor.of(
            {
                "client": row.actor_client,
                "partner": row.actor_partner,
                "roles": row.actor_roles,
                "kind": row.actor_kind,
                "issuer": row.actor_issuer,
                "subject": row.actor_subject,
                "name": row.actor_name,
                "owner": row.actor_owner,
            }
        ),
        action=row.action,
        resource=row.resource,
        outcome=row.outcome,
        reason=row.reason,
        details=row.details or {},
    )
    leaf = bytes(row.leaf)
    leaf_hash = merkle.leaf_hash(leaf)
    common = {
        "note": checkpoint.note,
        "verifier_key": verifier,
        "size": checkpoint.size,
        "root_hex": checkpoint.root,
        "leaf_matches": hmac.compare_digest(rebuilt, leaf),
        "leaf_hash_ok": hmac.compare_digest(leaf_hash.hex(), row.leaf_hash),
    }
    try:
        signed = audit.parse_and_verify_note(checkpoint.note, verifier)
    except audit.InvalidNote as exc:
        return Proof(
            **common,
            proof_hex=[],
            signature_ok=False,
            included=False,
            problem=f"The checkpoint's signature does not verify: {exc}.",
        )
    try:
        path = audit.inclusion_proof(current_app, row.index, signed.size)
    except (LookupError, audit.LogCorrupted) as exc:
        return Proof(
            **common,
            proof_hex=[],
            signature_ok=True,
            included=False,
            problem=f"The log is missing events ({exc}); the operators must run "
            "`hub audit verify`.",
        )
    included = merkle.verify_inclusion(
        index=row.index, size=signed.size, leaf_hash=leaf_hash, proof=path, root=signed.root
    )
    return Proof(
        **common,
        proof_hex=[p.hex() for p in path],
        signature_ok=True,
        included=included,
        problem=None if included else "The proof does not lead to the checkpoint's root.",
    )


@bp.get("/audit/<int:index>")
@signed_in("ig_officer")
def audit_event(index: int):
    note_view()
    _authorise()
    row = None
    if index < MAX_INDEX:  # a larger number is no event, and no database integer either
        with db.read_only() as session:
            # Only an event the officer may read: one of another organisation, under an
            # agreement it is not party to, is "no such event" to them.
            query = select(AuditEvent).where(AuditEvent.index == index)
            scope = governance.audit_scope(officer())
            if scope is not None:
                query = query.where(audit.scope_condition(scope))
            row = session.execute(query).scalar_one_or_none()
            if row is not None:
                session.expunge(row)
    if row is None:
        raise errors.NotFound(
            f"There is no event {index} in the audit log yet: the audit trail lists them."
        )
    proof = _prove(row)
    note_view(checkpoint_size=proof.size, verified=proof.verified)
    leaf = bytes(row.leaf)
    browser = {
        "index": row.index,
        "size": proof.size,
        "leaf": base64.b64encode(leaf).decode("ascii"),
        "leafHash": row.leaf_hash,
        "proof": proof.proof_hex,
    }
    return render_template(
        "console/audit_event.html",
        event=_summary(row),
        request_id=row.request_id,
        details_json=json.dumps(row.details or {}, indent=2, sort_keys=True, ensure_ascii=False),
        leaf_text=leaf.decode("utf-8", errors="replace"),
        leaf_hash=row.leaf_hash,
        proof=proof,
        browser=browser,
    )
