"""The ingest use cases the HTTP API and the CLI call: submit, read, list and withdraw uploads.

Each takes the caller's Identity and decides with `hub.agreements.decide`; refusals are noted
for the audit event of the request (the request hook appends it). Decisions:

- **Same bytes again**: an upload of the same SHA-256 by the same partner under the same
  agreement and dataset that is `received`, `processing` or `published` is returned instead
  of a new one (created False), so nothing publishes twice. After `rejected`, `failed`,
  `withdrawn` or `replaced` the same bytes make a new upload: the sender may be retrying
  after a fix on our side, or restoring withdrawn data. A unique partial index enforces this
  against concurrent submits.
- **Idempotency-Key**: per client. The same key again returns the upload it made, whatever
  its status; the same key with other bytes, agreement or dataset is a 409.
- **Reading an upload** (`upload.read`): IG officers of a party to the agreement, and
  uploaders of the partner that sent it. Anyone else gets 404, as for an id that does not
  exist, so ids reveal nothing; the audit event still records the refusal as `denied`.
- **Withdraw**: only uploaders of the partner that sent it, whether or not the agreement is
  still in force (erasure must stay possible). Its rows are deleted and the status set in one
  transaction. Withdrawing a withdrawn upload returns it unchanged; a rejected, failed or
  replaced one has nothing to withdraw (409).
"""

from __future__ import annotations

import base64
import json
import logging
import os
import shutil
import uuid
from datetime import datetime

from flask import current_app
from sqlalchemy import and_, or_, select
from sqlalchemy.exc import IntegrityError

from hub import audit, clock, db
from hub.agreements import Decision, Resource, current_policies, decide, enforce
from hub.auth import Identity
from hub.db.models import Upload
from hub.errors import Conflict, InvalidRequest, NotFound, ValidationFailed
from hub.ingest import lifecycle as lc
from hub.ingest.parse_format import SNIFF_BYTES, detect_format
from hub.ingest.spool import SpooledFile
from hub.store.rows import delete_rows

log = logging.getLogger(__name__)

MAX_LIMIT = 200


class UploadNotFound(NotFound):
    """404 for an upload the caller may not see, exactly like one that does not exist; the
    audit log records it as a refusal."""

    outcome = "denied"


def _not_found(upload_id: str) -> str:
    return (
        f"There is no upload {upload_id} that you may see. GET /api/v1/uploads lists the "
        "uploads you may see."
    )


# -- submit -----------------------------------------------------------------------------------


def authorize_upload(*, identity: Identity, agreement_id: str, dataset: str) -> Decision:
    """`dataset.upload`: may `identity` send `dataset` under `agreement_id` now? Raises
    Forbidden (noted for the audit event) if not. Call it before spooling the body too."""
    resource = Resource(kind="dataset", agreement_id=agreement_id, dataset=dataset)
    audit.note(action="dataset.upload", resource=resource.label)
    return enforce(decide(identity, "dataset.upload", resource))


def submit_upload(
    *,
    identity: Identity,
    agreement_id: str,
    dataset: str,
    spooled: SpooledFile,
    media_type: str | None,
    filename: str | None = None,
    idempotency_key: str | None = None,
    replaces: str | None = None,
    request_id: str | None = None,
) -> tuple[Upload, bool]:
    """Accept a spooled file as an upload and queue it; returns (upload, created).

    The spooled file is moved under the upload's id, or removed if no new upload is made.
    `request_id` is the HTTP request's that sent it: the pipeline's audit events quote it.
    """
    moved = False
    try:
        authorize_upload(identity=identity, agreement_id=agreement_id, dataset=dataset)
        _check_format(spooled, media_type)
        existing = _existing(identity, agreement_id, dataset, spooled.sha256, idempotency_key)
        if existing is not None:
            _note_upload(existing, created=False)
            return existing, False
        if replaces:
            _check_replaces(identity, agreement_id, dataset, replaces)
        upload = Upload(
            id=str(uuid.uuid4()),
            agreement_id=agreement_id,
            # The version it is shared under: its terms keep governing these rows.
            agreement_version=current_policies().files[agreement_id].sha256,
            dataset=dataset,
            partner_id=identity.partner,
            client_id=identity.client_id,
            status=lc.RECEIVED,
            sha256=spooled.sha256,
            size_bytes=spooled.size_bytes,
            media_type=(media_type or "")[:100] or "application/octet-stream",
            filename=_clean_filename(filename),
            idempotency_key=idempotency_key,
            replaces=replaces,
            request_id=request_id,
            counts={"read": 0, "accepted": 0, "rejected": 0},
            report={
                "progress": {
                    "stage": lc.RECEIVED,
                    "rows_read": 0,
                    "bytes_read": 0,
                    "total_bytes": spooled.size_bytes,
                }
            },
        )
        spool_dir = current_app.extensions["hub.settings"].effective_spool_dir
        target = lc.spool_path(spool_dir, upload.id)
        try:
            with db.unit_of_work() as session:
                session.add(upload)
                session.flush()
                _move(spooled.path, target)
                moved = True
        except IntegrityError:
            # A concurrent submit of the same bytes or key won the race: answer with its upload.
            if moved:
                target.unlink(missing_ok=True)
                moved = False
            existing = _existing(identity, agreement_id, dataset, spooled.sha256, idempotency_key)
            if existing is None:
                raise
            _note_upload(existing, created=False)
            return existing, False
        except BaseException:
            if moved:
                target.unlink(missing_ok=True)
                moved = False
            raise
        _note_upload(upload, created=True)
        _enqueue(upload.id)
        return upload, True
    finally:
        if not moved:
            spooled.path.unlink(missing_ok=True)


def _check_format(spooled: SpooledFile, media_type: str | None) -> None:
    """Refuse at once a file whose declared type the hub does not read (ParseError, 422)."""
    with open(spooled.path, "rb") as f:
        detect_format(media_type, f.read(SNIFF_BYTES))


def _existing(identity, agreement_id, dataset, sha256, idempotency_key) -> Upload | None:
    with db.read_only() as session:
        if idempotency_key:
            keyed = session.execute(
                select(Upload).where(
                    Upload.client_id == identity.client_id,
                    Upload.idempotency_key == idempotency_key,
                )
            ).scalar_one_or_none()
            if keyed is not None:
                if (keyed.agreement_id, keyed.dataset, keyed.sha256) != (
                    agreement_id,
                    dataset,
                    sha256,
                ):
                    raise Conflict(
                        "This Idempotency-Key was used for another upload (other bytes, "
                        f"agreement or dataset): upload {keyed.id}. Use a new key for a new "
                        "upload.",
                        code="idempotency_key_reused",
                        extra={"upload_id": keyed.id},
                    )
                return keyed
        return session.execute(
            select(Upload).where(
                Upload.agreement_id == agreement_id,
                Upload.dataset == dataset,
                Upload.partner_id == identity.partner,
                Upload.sha256 == sha256,
                Upload.status.in_(sorted(lc.LIVE)),
            )
        ).scalar_one_or_none()


def _check_replaces(identity: Identity, agreement_id: str, dataset: str, replaces: str) -> None:
    with db.read_only() as session:
        old = session.get(Upload, replaces)
    if (
        old is None
        or old.partner_id != identity.partner
        or (old.agreement_id, old.dataset) != (agreement_id, dataset)
    ):
        raise ValidationFailed(
            f"`replaces` must name an upload of `{dataset}` under `{agreement_id}` that your "
            f"organisation sent; {replaces} is not one.",
            code="invalid_replaces",
        )
    if old.status != lc.PUBLISHED:
        raise Conflict(
            f"Upload {replaces} is `{old.status}`, not published: only a published upload can "
            "be replaced. Send the file without `replaces`.",
            code="replaces_not_published",
        )


def _move(source, target) -> None:
    target.parent.mkdir(parents=True, exist_ok=True)
    try:
        os.replace(source, target)
    except OSError:
        shutil.move(source, target)  # another file system


def _clean_filename(filename: str | None) -> str | None:
    if not filename:
        return None
    name = filename.replace("\\", "/").rsplit("/", 1)[-1]
    name = "".join(ch for ch in name if ch.isprintable())
    return name[:255] or None


def _note_upload(upload: Upload, *, created: bool) -> None:
    audit.note(
        details={
            "upload_id": upload.id,
            "sha256": upload.sha256,
            "size_bytes": upload.size_bytes,
            "created": created,
        }
    )


def _enqueue(upload_id: str) -> None:
    from hub.ingest.jobs import enqueue

    try:
        enqueue(upload_id)
    except Exception as exc:  # noqa: BLE001 - the upload is safe in the database
        # It stays `received`; recovery queues it again when a worker next looks.
        log.error("upload %s could not be queued (%s)", upload_id, type(exc).__name__)


# -- read and list -----------------------------------------------------------------------------


def _read_decision(identity: Identity, upload: Upload) -> Decision:
    resource = Resource(kind="upload", agreement_id=upload.agreement_id, dataset=upload.dataset)
    decision = decide(identity, "upload.read", resource)
    if decision.allowed and decision.rule == "provider-uploader":
        if upload.partner_id != identity.partner:
            # Two partners may provide the same dataset: each reads only its own uploads.
            return Decision(
                False,
                f"Upload {upload.id} was sent by another organisation; uploaders read only "
                "their own organisation's uploads.",
                "not-the-sender",
            )
    return decision


def get_upload(*, identity: Identity, upload_id: str) -> Upload:
    """`upload.read`: the upload, if the caller may see it; else 404 (see the module doc)."""
    audit.note(action="upload.read", resource=f"upload:{upload_id}")
    upload = _load(upload_id)
    if upload is None:
        raise NotFound(_not_found(upload_id))
    decision = _read_decision(identity, upload)
    if not decision.allowed:
        audit.note(reason=decision.reason, details={"rule": decision.rule})
        raise UploadNotFound(_not_found(upload_id))
    enforce(decision)
    return upload


def _load(upload_id: str) -> Upload | None:
    try:
        uuid.UUID(upload_id)
    except (ValueError, TypeError):
        return None
    with db.read_only() as session:
        return session.get(Upload, upload_id)


def list_uploads(
    *,
    identity: Identity,
    agreement_id: str | None = None,
    dataset: str | None = None,
    status: str | None = None,
    partner: str | None = None,
    limit: int = 50,
    cursor: str | None = None,
) -> tuple[list[Upload], str | None]:
    """The uploads the caller may see, newest first, `limit` at a time; `cursor` is the
    `next_cursor` of the previous page (None on the last)."""
    audit.note(action="upload.read")
    if agreement_id:
        if dataset:
            resource = Resource(kind="upload", agreement_id=agreement_id, dataset=dataset)
            enforce(decide(identity, "upload.read", resource))
        else:
            # Without a dataset the rules below say what is visible; here only that the
            # caller's organisation is a party to the agreement at all.
            agreement = current_policies().agreements.get(agreement_id)
            if agreement is None or agreement.party(identity.partner) is None:
                enforce(
                    Decision(
                        False,
                        f"`{identity.partner}` is not a party to an agreement "
                        f"`{agreement_id}`: GET /api/v1/agreements lists yours.",
                        "not-a-party",
                    )
                )
    visible = []
    if identity.has_role("uploader"):
        visible.append(Upload.partner_id == identity.partner)
    if identity.has_role("ig_officer"):
        parties = [a.id for a in current_policies().agreements_of(identity.partner)]
        if parties:
            visible.append(Upload.agreement_id.in_(parties))
    if not visible:
        enforce(
            Decision(
                False,
                "Listing uploads needs the uploader role, or the ig_officer role at a party to "
                "an agreement; this client holds neither. Ask your organisation's hub "
                "administrator.",
                "role-not-allowed",
            )
        )
    limit = max(1, min(int(limit), MAX_LIMIT))
    query = select(Upload).where(or_(*visible))
    if agreement_id:
        query = query.where(Upload.agreement_id == agreement_id)
    if dataset:
        query = query.where(Upload.dataset == dataset)
    if status:
        query = query.where(Upload.status == status)
    if partner:  # the sending partner: an IG officer's console lists uploads by partner
        query = query.where(Upload.partner_id == partner)
    if cursor:
        created, last_id = _read_cursor(cursor)
        query = query.where(
            or_(
                Upload.created_at < created,
                and_(Upload.created_at == created, Upload.id < last_id),
            )
        )
    query = query.order_by(Upload.created_at.desc(), Upload.id.desc()).limit(limit + 1)
    with db.read_only() as session:
        uploads = list(session.execute(query).scalars())
    next_cursor = None
    if len(uploads) > limit:
        uploads = uploads[:limit]
        next_cursor = _make_cursor(uploads[-1])
    return uploads, next_cursor


def _make_cursor(upload: Upload) -> str:
    raw = json.dumps([upload.created_at.isoformat(), upload.id]).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def _read_cursor(cursor: str) -> tuple[datetime, str]:
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        created, upload_id = json.loads(raw)
        return datetime.fromisoformat(created), str(uuid.UUID(upload_id))
    except (ValueError, TypeError) as exc:
        raise InvalidRequest(
            "The cursor is not one the hub gave: use `next_cursor` from the previous page.",
            code="invalid_cursor",
        ) from exc


# -- withdraw ---------------------------------------------------------------------------------


def withdraw_upload(*, identity: Identity, upload_id: str) -> Upload:
    """Delete an upload's rows and mark it `withdrawn`, in one transaction (provider only)."""
    upload = get_upload(identity=identity, upload_id=upload_id)
    audit.note(resource=f"upload:{upload_id}")
    if not (identity.has_role("uploader") and identity.partner == upload.partner_id):
        enforce(
            Decision(
                False,
                "Only uploaders of the organisation that sent an upload may withdraw it.",
                "not-the-sender",
            )
        )
    enforce(
        Decision(True, f"`{identity.partner}` withdraws an upload it sent.", "provider-uploader")
    )
    with db.unit_of_work() as session:
        locks = db.is_postgres(session)
        upload = session.get(Upload, upload_id, with_for_update=locks, populate_existing=True)
        if upload.status == lc.WITHDRAWN:
            return upload
        if upload.status not in lc.LIVE:
            raise Conflict(
                f"Upload {upload_id} is `{upload.status}`: it has no rows to withdraw.",
                code="upload_not_withdrawable",
            )
        if upload.status == lc.PUBLISHED:
            # Withdrawing published rows is a correction: their recipients are told.
            from hub.ingest.state import rows_removed

            rows_removed(session, upload, kind="withdraw", actor=identity)
        deleted = delete_rows(session, upload)
        now = clock.now()
        was = upload.status
        upload.status = lc.WITHDRAWN
        upload.cause = f"Withdrawn by client {identity.client_id}."
        upload.finished_at = upload.finished_at or now
        upload.updated_at = now
        upload.worker_id = None
        report = dict(upload.report or {})
        report["progress"] = {**report.get("progress", {}), "stage": lc.WITHDRAWN}
        upload.report = report
        session.add(upload)
        session.flush()
        audit.append(
            session,
            lc.event(
                upload,
                "upload.withdrawn",
                "allowed",
                f"Withdrawn by its sender (was {was}).",
                counts=upload.counts,
                actor=identity,
                rows_deleted=deleted,
            ),
        )
    spool_dir = current_app.extensions["hub.settings"].effective_spool_dir
    lc.discard_spool(spool_dir, upload_id)
    return upload
