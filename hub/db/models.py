"""SQLModel tables of the hub's own records. Dataset tables are built from contracts elsewhere.

A change here needs a migration: `make migration` regenerates the initial revision while the
project has not shipped a release.
"""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import JSON, BigInteger, Column, LargeBinary, UniqueConstraint
from sqlmodel import Field, SQLModel


def utcnow() -> datetime:
    return datetime.now(UTC)


class Partner(SQLModel, table=True):
    __tablename__ = "partners"

    id: str = Field(primary_key=True, max_length=64)
    name: str = Field(max_length=200)
    kind: str = Field(max_length=32)  # police | council | nhs | school | other
    loaded_at: datetime = Field(default_factory=utcnow)


class OAuthClient(SQLModel, table=True):
    __tablename__ = "oauth_clients"

    client_id: str = Field(primary_key=True, max_length=64)
    # A slow hash (scrypt, via werkzeug); the secret itself is shown once and never stored.
    secret_hash: str = Field(max_length=255)
    name: str = Field(max_length=200)
    partner_id: str = Field(foreign_key="partners.id", index=True, max_length=64)
    roles: list[str] = Field(sa_column=Column(JSON, nullable=False))
    created_at: datetime = Field(default_factory=utcnow)
    revoked_at: datetime | None = None


class AgreementRecord(SQLModel, table=True):
    """An agreement file as loaded: one row per distinct content hash (a version)."""

    __tablename__ = "agreements"
    __table_args__ = (UniqueConstraint("agreement_id", "content_hash"),)

    id: int | None = Field(default=None, primary_key=True)
    agreement_id: str = Field(index=True, max_length=100)
    content_hash: str = Field(max_length=64)
    title: str = Field(max_length=300)
    status: str = Field(default="proposed", max_length=32)
    document: dict = Field(sa_column=Column(JSON, nullable=False))
    loaded_at: datetime = Field(default_factory=utcnow)


class Upload(SQLModel, table=True):
    __tablename__ = "uploads"

    id: str = Field(primary_key=True, max_length=36)
    agreement_id: str = Field(index=True, max_length=100)
    dataset: str = Field(index=True, max_length=100)
    partner_id: str = Field(foreign_key="partners.id", index=True, max_length=64)
    client_id: str = Field(max_length=64)
    status: str = Field(default="received", max_length=16)
    sha256: str = Field(max_length=64, index=True)
    size_bytes: int = 0
    media_type: str = Field(default="text/csv", max_length=100)
    idempotency_key: str | None = Field(default=None, max_length=200)
    replaces: str | None = Field(default=None, max_length=36)
    counts: dict = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    report: dict = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    created_at: datetime = Field(default_factory=utcnow)
    updated_at: datetime = Field(default_factory=utcnow)


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
    created_at: datetime = Field(default_factory=utcnow)
