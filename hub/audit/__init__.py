"""The append-only audit log: every request to /api/ and /oauth/token is one event, a leaf of
an RFC 6962 Merkle tree whose roots the hub signs as C2SP checkpoints.
"""

from hub.audit.background import start_background, stop_background
from hub.audit.events import MAX_DETAILS_BYTES, Actor, NewEvent, leaf_bytes
from hub.audit.log import (
    EventFilter,
    EventScope,
    LogCorrupted,
    LogForked,
    append,
    ensure_checkpoint,
    read_checkpoints,
    read_events,
    scope_condition,
    store_checkpoint,
)
from hub.audit.request_event import Record, note, note_event, noted
from hub.audit.signed_note import (
    InvalidNote,
    parse_and_verify_note,
    sign_checkpoint,
    verifier_key,
)
from hub.audit.state import (
    AuditConfig,
    audit_config,
    inclusion_proof,
    init_app,
    latest_checkpoint,
    signed_checkpoint,
)
from hub.audit.verify import VerificationFailed, Verified, verify_log

__all__ = [
    "MAX_DETAILS_BYTES",
    "Actor",
    "AuditConfig",
    "EventFilter",
    "EventScope",
    "InvalidNote",
    "LogCorrupted",
    "LogForked",
    "NewEvent",
    "Record",
    "VerificationFailed",
    "Verified",
    "append",
    "audit_config",
    "ensure_checkpoint",
    "inclusion_proof",
    "init_app",
    "latest_checkpoint",
    "leaf_bytes",
    "note",
    "note_event",
    "noted",
    "parse_and_verify_note",
    "read_checkpoints",
    "read_events",
    "scope_condition",
    "sign_checkpoint",
    "signed_checkpoint",
    "start_background",
    "stop_background",
    "store_checkpoint",
    "verifier_key",
    "verify_log",
]
