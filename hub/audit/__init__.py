"""The append-only audit log: every request to /api/ and /oauth/token is one event, a leaf of
an RFC 6962 Merkle tree whose roots the hub signs as C2SP checkpoints.
"""

from hub.audit.api import api
from hub.audit.checkpoint import (
    InvalidNote,
    parse_and_verify_note,
    sign_checkpoint,
    verifier_key,
)
from hub.audit.checkpoints import (
    inclusion_proof,
    signed_checkpoint,
    start_background,
    stop_background,
)
from hub.audit.cli import cli
from hub.audit.events import Actor, NewEvent, leaf_bytes
from hub.audit.hook import init_app, note
from hub.audit.log import (
    EventFilter,
    LogCorrupted,
    LogForked,
    append,
    ensure_checkpoint,
    read_checkpoints,
    read_events,
    store_checkpoint,
)
from hub.audit.verify import VerificationFailed, Verified, verify_log

__all__ = [
    "Actor",
    "EventFilter",
    "InvalidNote",
    "LogCorrupted",
    "LogForked",
    "NewEvent",
    "VerificationFailed",
    "Verified",
    "api",
    "append",
    "cli",
    "ensure_checkpoint",
    "inclusion_proof",
    "init_app",
    "leaf_bytes",
    "note",
    "parse_and_verify_note",
    "read_checkpoints",
    "read_events",
    "sign_checkpoint",
    "signed_checkpoint",
    "start_background",
    "stop_background",
    "store_checkpoint",
    "verifier_key",
    "verify_log",
]
