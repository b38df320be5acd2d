"""SQLModel tables of the hub's own records. Dataset tables are built from contracts elsewhere.

A change here needs a migration: `make migration` regenerates the initial revision while the
project has not shipped a release.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, BigInteger, Column, Index, LargeBinary, UniqueConstraint, text
from sqlmodel import Field, SQLModel

from hub import clock


class Partner(SQLModel, table=True):
    __tablename__ = "partners"

    id: str = Field(primary_key=True, max_length=64)
    name: str = Field(max_length=200)
    kind: str = Field(max_length=32)  # police | council | nhs | school | other
    loaded_at: datetime = Field(default_factory=clock.now)


class OAuthClient(SQLModel, table=True):
    __tablename__ = "oauth_clients"

    client_id: str = Field(primary_key=True, max_length=64)
    # A slow hash (scrypt, via werkzeug); the secret itself is shown once and never stored.
    secret_hash: str = Field(max_length=255)
    name: str = Field(max_length=200)
    partner_id: str = Field(foreign_key="partners.id", index=True, max_length=64)
    roles: list[str] = Field(sa_column=Column(JSON, nullable=False))
    created_at: datetime = Field(default_factory=clock.now)
    revoked_at: datetime | None = None


class AgreementRecord(SQLModel, table=True):
    """An agreement file as loaded: one row per distinct content hash (a version).

    `status` is the last lifecycle status recorded for the version (an audit event was
    appended for each change); the status in force is computed from the approvals, the open
    suspension and the date (hub/agreements/lifecycle.py). `approval_round` counts the times
    the version was proposed: a version that comes back after another needs new approvals.
    """

    __tablename__ = "agreements"
    __table_args__ = (UniqueConstraint("agreement_id", "content_hash"),)

    id: int | None = Field(default=None, primary_key=True)
    agreement_id: str = Field(index=True, max_length=100)
    content_hash: str = Field(max_length=64)
    title: str = Field(max_length=300)
    status: str = Field(default="proposed", max_length=32)
    document: dict = Field(sa_column=Column(JSON, nullable=False))
    loaded_at: datetime = Field(default_factory=clock.now)
    approval_round: int = Field(default=1)
    status_changed_at: datetime | None = None


class AgreementApproval(SQLModel, table=True):
    """A party's approval of one version of an agreement (one proposal round of it)."""

    __tablename__ = "agreement_approvals"
    __table_args__ = (
        UniqueConstraint(
            "agreement_record_id",
            "approval_round",
            "partner_id",
            name="uq_agreement_approvals_version_round_partner",
        ),
    )

    id: int | None = Field(default=None, primary_key=True)
    agreement_record_id: int = Field(foreign_key="agreements.id", index=True)
    approval_round: int
    agreement_id: str = Field(max_length=100)
    content_hash: str = Field(max_length=64)
    partner_id: str = Field(foreign_key="partners.id", max_length=64)
    # The IG officer's client that approved: who did it, for the record and the audit log.
    client_id: str = Field(max_length=64)
    approved_at: datetime = Field(default_factory=clock.now)


class AgreementSuspension(SQLModel, table=True):
    """A suspension of an agreement (whatever its version) by a party, and its resumption.

    At most one is open (not resumed) per agreement: a unique partial index makes a second,
    concurrent suspend fail rather than stack.
    """

    __tablename__ = "agreement_suspensions"
    __table_args__ = (
        Index(
            "uq_agreement_suspensions_open",
            "agreement_id",
            unique=True,
            sqlite_where=text("resumed_at IS NULL"),
            postgresql_where=text("resumed_at IS NULL"),
        ),
    )

    id: int | None = Field(default=None, primary_key=True)
    agreement_id: str = Field(index=True, max_length=100)
    content_hash: str = Field(max_length=64)  # the version in force when it was suspended
    reason: str = Field(max_length=1000)
    suspended_by_client: str = Field(max_length=64)
    suspended_by_partner: str = Field(foreign_key="partners.id", max_length=64)
    suspended_at: datetime = Field(default_factory=clock.now)
    resumed_at: datetime | None = None
    resumed_by_client: str | None = Field(default=None, max_length=64)
    resumed_by_partner: str | None = Field(default=None, max_length=64)
    resume_reason: str | None = Field(default=None, max_length=1000)
    # Parties other than the suspending one that asked to resume: the suspension is lifted by
    # the suspending party's IG officer alone, or once every other party has asked.
    resume_requested_by: list[str] = Field(
        default_factory=list, sa_column=Column(JSON, nullable=False, server_default="[]")
    )


class Upload(SQLModel, table=True):
    """One file a partner sent for one dataset under one agreement, and what became of it.

    Status: received -> processing -> published | rejected | failed; later withdrawn or
    replaced. The file's rows live in the dataset table and are visible only while the
    upload is `published` (hub/ingest, docs/SEAMS.md).
    """

    __tablename__ = "uploads"
    __table_args__ = (
        # The same bytes are processed once per agreement, dataset and partner while an upload
        # of them is live: a second submit finds the first (hub.ingest.service.submit_upload).
        Index(
            "uq_uploads_live_sha256",
            "agreement_id",
            "dataset",
            "partner_id",
            "sha256",
            unique=True,
            sqlite_where=text("status IN ('received', 'processing', 'published')"),
            postgresql_where=text("status IN ('received', 'processing', 'published')"),
        ),
        # An Idempotency-Key names one upload per client, whatever became of it.
        UniqueConstraint("client_id", "idempotency_key", name="uq_uploads_client_idempotency"),
        Index("ix_uploads_status_heartbeat", "status", "heartbeat_at"),
    )

    id: str = Field(primary_key=True, max_length=36)
    agreement_id: str = Field(index=True, max_length=100)
    # The agreement version (content hash of its file) the data was shared under: that
    # version's terms (retention, fields) keep governing it after the file changes.
    agreement_version: str | None = Field(default=None, max_length=64)
    dataset: str = Field(index=True, max_length=100)
    partner_id: str = Field(foreign_key="partners.id", index=True, max_length=64)
    client_id: str = Field(max_length=64)
    status: str = Field(default="received", max_length=16)
    sha256: str = Field(max_length=64, index=True)
    size_bytes: int = Field(default=0, sa_type=BigInteger)
    media_type: str = Field(default="text/csv", max_length=100)
    # As the sender named it; shown back to the sender only.
    filename: str | None = Field(default=None, max_length=255)
    idempotency_key: str | None = Field(default=None, max_length=200)
    replaces: str | None = Field(default=None, max_length=36)
    replaced_by: str | None = Field(default=None, max_length=36)
    # The request that submitted it, so the pipeline's audit events can be traced to it.
    request_id: str | None = Field(default=None, max_length=64)
    counts: dict = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    report: dict = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    # Why it ended rejected, failed or withdrawn: a sentence for the sender, never a value.
    cause: str | None = Field(default=None, max_length=1000)
    created_at: datetime = Field(default_factory=clock.now)  # received
    updated_at: datetime = Field(default_factory=clock.now)
    started_at: datetime | None = None
    finished_at: datetime | None = None
    # The lease of the worker processing it: a heartbeat older than the lease means the
    # worker died, and recovery retries the upload (hub.ingest.lifecycle).
    worker_id: str | None = Field(default=None, max_length=64)
    heartbeat_at: datetime | None = None
    attempts: int = 0


class AuditHead(SQLModel, table=True):
    """One row: the log's size. Appends lock it, so indexes are gap-free and never reused."""

    __tablename__ = "audit_head"

    id: int = Field(default=1, primary_key=True)
    size: int = Field(default=0, sa_type=BigInteger)


class AuditEvent(SQLModel, table=True):
    __tablename__ = "audit_events"

    index: int = Field(
        primary_key=True, sa_type=BigInteger, sa_column_kwargs={"autoincrement": False}
    )
    time: datetime = Field(index=True)
    request_id: str = Field(max_length=64)
    actor_client: str | None = Field(default=None, index=True, max_length=64)
    actor_partner: str | None = Field(default=None, index=True, max_length=64)
    actor_roles: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    # person | system (None for events from before the hub named people).
    actor_kind: str | None = Field(default=None, max_length=16)
    actor_issuer: str | None = Field(default=None, max_length=500)
    actor_subject: str | None = Field(default=None, max_length=255)
    actor_name: str | None = Field(default=None, max_length=200)
    actor_owner: str | None = Field(default=None, max_length=200)
    action: str = Field(index=True, max_length=100)
    resource: str = Field(max_length=500)
    outcome: str = Field(index=True, max_length=16)  # allowed | denied | failed
    reason: str = Field(default="", max_length=1000)
    details: dict = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    # The canonical leaf bytes as appended; verify recomputes them from the columns above.
    leaf: bytes = Field(sa_column=Column(LargeBinary, nullable=False))
    leaf_hash: str = Field(max_length=64)


class AuditCheckpoint(SQLModel, table=True):
    __tablename__ = "audit_checkpoints"

    size: int = Field(
        primary_key=True, sa_type=BigInteger, sa_column_kwargs={"autoincrement": False}
    )
    root: str = Field(max_length=64)
    note: str
    created_at: datetime = Field(default_factory=clock.now)


class ViewDisclosure(SQLModel, table=True):
    """Which person pseudonyms a person-level view query returned (hub/views/disclosure_record.py).

    Kept apart from the audit log's leaves, which hold no pseudonyms, so that an IG officer can
    answer "who has seen this person": `request_id` is the audit event's request id.
    """

    __tablename__ = "view_disclosures"
    __table_args__ = (Index("ix_view_disclosures_person", "linkage_domain", "pseudonym"),)

    id: int | None = Field(default=None, primary_key=True)
    request_id: str = Field(index=True, max_length=64)
    view_id: str = Field(max_length=100)
    agreement_id: str = Field(max_length=100)
    linkage_domain: str = Field(max_length=100)
    pseudonym: str = Field(max_length=64)
    disclosed_at: datetime = Field(default_factory=clock.now)


# -- corrections and the notices they owe (hub/corrections, hub/notify) ----------------------


class Correction(SQLModel, table=True):
    """One correction batch a provider made (rows rectified, erased, restricted; or a whole
    upload withdrawn or replaced), with its reason and legal ground. Counts only: never a
    value of a row."""

    __tablename__ = "corrections"

    id: str = Field(primary_key=True, max_length=36)
    agreement_id: str = Field(index=True, max_length=100)
    dataset: str = Field(max_length=100)
    partner_id: str = Field(max_length=64)
    client_id: str = Field(max_length=64)
    request_id: str = Field(default="", max_length=64)
    kind: str = Field(default="rows", max_length=16)  # rows | withdraw | replace
    upload_id: str | None = Field(default=None, max_length=36)  # withdraw / replace
    reason: str = Field(max_length=1000)
    legal_ground: str = Field(max_length=200)
    counts: dict = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    # (upload id, row) of every row it touched, with its op: row numbers, never values.
    rows: list = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    created_at: datetime = Field(default_factory=clock.now)


class Notification(SQLModel, table=True):
    """A notice to one recipient organisation that data disclosed to it was corrected: one
    per recipient per correction (UK GDPR Art. 19, DPA 2018 s.48). The feed of a recipient is
    its notifications in `seq` order; the subjects say whom and what."""

    __tablename__ = "notifications"
    __table_args__ = (
        UniqueConstraint("correction_id", "recipient_partner", name="uq_notifications_once"),
        Index("ix_notifications_feed", "recipient_partner", "seq"),
    )

    id: str = Field(primary_key=True, max_length=36)
    # The feed's cursor: increasing in creation order (keyset paging).
    seq: int = Field(sa_type=BigInteger, index=True)
    recipient_partner: str = Field(max_length=64)
    type: str = Field(max_length=32)  # record.rectified|record.erased|record.restricted|...
    agreement_id: str = Field(max_length=100)
    dataset: str = Field(max_length=100)
    correction_id: str = Field(foreign_key="corrections.id", index=True, max_length=36)
    views: list = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    subject_count: int = 0
    created_at: datetime = Field(default_factory=clock.now)
    acked_at: datetime | None = None
    ack_action: str | None = Field(default=None, max_length=32)
    ack_by: str | None = Field(default=None, max_length=64)
    ack_note: str | None = Field(default=None, max_length=1000)


class NotificationSubject(SQLModel, table=True):
    """Whom or what a notice is about, as the recipient was shown it: a person's pseudonym
    (for an erasure only a keyed match token, so that no erased value stays) with the request
    ids of the recipient's own queries that showed it; or aggregate cells that changed."""

    __tablename__ = "notification_subjects"

    id: int | None = Field(default=None, primary_key=True)
    notification_id: str = Field(foreign_key="notifications.id", index=True, max_length=36)
    kind: str = Field(max_length=16)  # person | cells
    view_id: str = Field(max_length=100)
    change: str = Field(max_length=16)  # rectified | erased | restricted | counts_changed
    linkage_domain: str | None = Field(default=None, max_length=100)
    pseudonym: str | None = Field(default=None, max_length=64)
    match_token: str | None = Field(default=None, max_length=64)
    cells: list = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    request_ids: list = Field(default_factory=list, sa_column=Column(JSON, nullable=False))


class WebhookEndpoint(SQLModel, table=True):
    """Where a recipient wants a nudge when a notice is made (Standard Webhooks). The signing
    secret is derived from the hub's key and the endpoint id, never stored."""

    __tablename__ = "webhook_endpoints"

    id: str = Field(primary_key=True, max_length=36)
    partner_id: str = Field(index=True, max_length=64)
    url: str = Field(max_length=2000)
    events: list = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    created_by: str = Field(max_length=64)
    created_at: datetime = Field(default_factory=clock.now)
    disabled_at: datetime | None = None
    disabled_reason: str | None = Field(default=None, max_length=500)


class WebhookDelivery(SQLModel, table=True):
    """One notice to one endpoint, and its attempts (Standard Webhooks retry schedule)."""

    __tablename__ = "webhook_deliveries"
    __table_args__ = (Index("ix_webhook_deliveries_due", "status", "next_attempt_at"),)

    id: str = Field(primary_key=True, max_length=36)  # the webhook-id (msg id)
    endpoint_id: str = Field(foreign_key="webhook_endpoints.id", index=True, max_length=36)
    notification_id: str = Field(foreign_key="notifications.id", index=True, max_length=36)
    status: str = Field(default="pending", max_length=16)  # pending | delivered | failed
    attempts: int = 0
    next_attempt_at: datetime | None = None
    last_status: int | None = None
    last_error: str | None = Field(default=None, max_length=200)
    created_at: datetime = Field(default_factory=clock.now)
    delivered_at: datetime | None = None


class ViewSeen(SQLModel, table=True):
    """When an analyst (client) last saw a view's page: the banner shows notices since."""

    __tablename__ = "view_seen"

    client_id: str = Field(primary_key=True, max_length=64)
    view_id: str = Field(primary_key=True, max_length=100)
    seen_at: datetime = Field(default_factory=clock.now)
class RecordReference(SQLModel, table=True):
    """A provider's own reference for one stored row (the contract's `sourceRecordRef`
    column), sealed with AES-GCM under the hub's record-reference key (hub/keys.py), so the
    database never holds it in clear. No view reads this table: only an approved
    re-identification opens a row's reference (hub/store/references.py)."""

    __tablename__ = "record_references"

    dataset: str = Field(primary_key=True, max_length=100)
    upload_id: str = Field(primary_key=True, max_length=36)
    row: int = Field(
        primary_key=True, sa_type=BigInteger, sa_column_kwargs={"autoincrement": False}
    )
    # nonce (12 bytes) || ciphertext || tag; the additional data binds it to its row.
    sealed: bytes = Field(sa_column=Column(LargeBinary, nullable=False))
    expires_at: datetime = Field(index=True)  # as its row's `_expires_at`


class ReidentificationRequest(SQLModel, table=True):
    """A request to re-identify one person an analyst was shown (DPA 2018 s.171): the ground,
    and what became of it (hub/governance/reidentification.py). The pseudonym is kept here as
    `view_disclosures` keeps it, never in the audit log."""

    __tablename__ = "reidentification_requests"

    id: str = Field(primary_key=True, max_length=36)
    agreement_id: str = Field(index=True, max_length=100)
    linkage_domain: str = Field(max_length=100)
    view_id: str = Field(max_length=100)
    pseudonym: str = Field(max_length=64)
    origin_request_id: str = Field(max_length=64)  # the view.query that showed the person
    requester_client: str = Field(max_length=64)
    requester_partner: str = Field(index=True, max_length=64)
    basis: str = Field(max_length=40)
    legislation: str = Field(max_length=300)
    case_reference: str = Field(max_length=200)
    justification: str = Field(max_length=2000)
    necessity_statement: str = Field(max_length=2000)
    target_providers: list[str] = Field(sa_column=Column(JSON, nullable=False))
    status: str = Field(default="submitted", index=True, max_length=24)
    created_at: datetime = Field(default_factory=clock.now)
    updated_at: datetime = Field(default_factory=clock.now)
    approved_at: datetime | None = None
    expires_at: datetime | None = None  # the reveal's deadline, from the second approval


class ReidentificationApproval(SQLModel, table=True):
    """One party's decision on a re-identification request: at most one per partner."""

    __tablename__ = "reidentification_approvals"
    __table_args__ = (
        UniqueConstraint("request_id", "partner", name="uq_reidentification_approvals_partner"),
    )

    id: int | None = Field(default=None, primary_key=True)
    request_id: str = Field(foreign_key="reidentification_requests.id", index=True, max_length=36)
    partner: str = Field(max_length=64)
    client: str = Field(max_length=64)
    decision: str = Field(max_length=10)  # approve | reject
    reason: str = Field(default="", max_length=1000)
    at: datetime = Field(default_factory=clock.now)


class ReidentificationReveal(SQLModel, table=True):
    """The one fetch of an approved request's references: the primary key makes it single use."""

    __tablename__ = "reidentification_reveals"

    request_id: str = Field(
        primary_key=True, foreign_key="reidentification_requests.id", max_length=36
    )
    fetched_by: str = Field(max_length=64)
    fetched_at: datetime = Field(default_factory=clock.now)
    rows: int = 0
class WebSession(SQLModel, table=True):
    """A person's session on the hub's pages, held on the server (hub/auth/sessions.py).

    The browser's cookie holds only a random session key; `id` is its SHA-256, so a copy of
    this table opens no session. `ended_at` is set at sign-out (or when a timeout is found to
    have passed) and the session never opens again.
    """

    __tablename__ = "web_sessions"

    id: str = Field(primary_key=True, max_length=64)
    partner_id: str = Field(foreign_key="partners.id", index=True, max_length=64)
    issuer: str = Field(max_length=500)
    subject: str = Field(max_length=255)
    display_name: str = Field(max_length=200)
    roles: list[str] = Field(sa_column=Column(JSON, nullable=False))
    created_at: datetime = Field(default_factory=clock.now)
    last_seen_at: datetime = Field(default_factory=clock.now)
    ended_at: datetime | None = None
    end_reason: str | None = Field(default=None, max_length=32)
