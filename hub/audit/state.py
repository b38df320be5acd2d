"""What audit keeps per app: the origin it signs checkpoints as, and this process's
checkpointer (its running tree and when to sign next); and what is served from them."""

from __future__ import annotations

from dataclasses import dataclass

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from flask import Flask

from hub import db, errors
from hub.audit.checkpointer import Checkpointer
from hub.audit.log import last_checkpoint
from hub.audit.signed_note import check_key_name
from hub.audit.unauthenticated import UnauthenticatedBudget
from hub.db.models import AuditCheckpoint

EXTENSION = "hub.audit"


@dataclass(frozen=True)
class AuditConfig:
    origin: str
    checkpoints: Checkpointer
    unauthenticated: UnauthenticatedBudget


def init_app(app: Flask, settings) -> None:
    """Check the signing origin and make the app's checkpointer. (The HTTP request hook that
    appends an event per request is hub/api/audit_hook.py; create_app registers it.)"""
    origin = settings.effective_audit_origin
    try:
        check_key_name(origin)
    except ValueError as exc:
        raise errors.ConfigurationError(
            f"HUB_AUDIT_ORIGIN: {exc}; use a schema-less URL such as hub.example.org/audit"
        ) from exc
    app.extensions[EXTENSION] = AuditConfig(
        origin=origin,
        checkpoints=Checkpointer(
            origin=origin,
            every_events=settings.checkpoint_every_events,
            every_seconds=settings.checkpoint_every_seconds,
        ),
        unauthenticated=UnauthenticatedBudget(
            per_minute=settings.audit_unauthenticated_events_per_minute
        ),
    )


def audit_config(app: Flask) -> AuditConfig:
    return app.extensions[EXTENSION]


def checkpointer(app: Flask) -> Checkpointer:
    return audit_config(app).checkpoints


def signing_key(app: Flask) -> Ed25519PrivateKey:
    return app.extensions["hub.keys"].audit_signing_key


def latest_checkpoint(app: Flask) -> AuditCheckpoint:
    """The latest checkpoint the hub has kept (what GET /api/v1/audit/checkpoint serves):
    a request never makes the hub sign. Only a log with no checkpoint at all gets its first
    one signed here, once; after that the hub signs on its own schedule
    (HUB_CHECKPOINT_EVERY_EVENTS and _SECONDS, hub.audit.checkpointer)."""
    with db.read_only() as session:
        stored = last_checkpoint(session)
        if stored is not None:
            session.expunge(stored)
            return stored
    return signed_checkpoint(app)


def signed_checkpoint(app: Flask) -> AuditCheckpoint:
    """The checkpoint of the log's current size, signed now if there is none yet (what
    GET /api/v1/audit/checkpoint serves), from this process's running tree."""
    return checkpointer(app).ensure(None, signing_key(app))


def inclusion_proof(app: Flask, index: int, size: int) -> list[bytes]:
    """The RFC 9162 inclusion proof of event `index` in the tree of `size` events, from this
    process's running tree (it reads only the events new to it). LookupError or
    LogCorrupted if the stored log cannot give that tree."""
    with db.read_only() as session:
        tree = checkpointer(app).proof_tree(session, size)
        return tree.inclusion_proof(session, index, size)
