"""hub-verify: check the hub's audit log from outside, with nothing of the hub's.

It fetches the hub's signed checkpoint over HTTP, checks its Ed25519 signature (C2SP signed
note) with a key you got out of band, and checks RFC 6962 / RFC 9162 consistency and
inclusion proofs against the signed roots. It needs the Python standard library and
`cryptography`; no database, no settings, and it imports nothing of the `hub` package, so
that it can be read (and trusted) on its own.
"""

from hub_verify.notes import Checkpoint, InvalidNote, open_checkpoint
from hub_verify.proofs import leaf_hash, verify_consistency, verify_inclusion

__all__ = [
    "Checkpoint",
    "InvalidNote",
    "leaf_hash",
    "open_checkpoint",
    "verify_consistency",
    "verify_inclusion",
]
