"""C2SP signed notes (https://c2sp.org/signed-note) carrying C2SP tlog-checkpoints
(https://c2sp.org/tlog-checkpoint), checked with an Ed25519 verifier key.

    <origin>                          the checkpoint: the note's text
    <tree size>
    <base64 root hash>
                                      a blank line
    — <key name> <base64(4-byte key id || Ed25519 signature of the text)>

A verifier key reads `<name>+<hex key id>+<base64(0x01 || 32-byte public key)>`, and the key
id is SHA-256(name || 0x0A || 0x01 || public key)[:4].
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import re
from dataclasses import dataclass

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

_ED25519 = b"\x01"
_SIGNATURE_LINE = "\u2014 "  # an em dash and a space
_DECIMAL = re.compile(r"^(0|[1-9][0-9]*)$")


class InvalidNote(ValueError):
    """The note or key is malformed, or no signature by the key verifies."""


@dataclass(frozen=True)
class VerifierKey:
    name: str
    key_id: bytes
    public_key: Ed25519PublicKey
    text: str

    @classmethod
    def parse(cls, text: str) -> VerifierKey:
        text = text.strip()
        parts = text.split("+", 2)
        if len(parts) != 3 or not parts[0] or any(c.isspace() for c in parts[0]):
            raise InvalidNote("a verifier key reads <name>+<hex key id>+<base64 key>")
        name, hex_id, encoded = parts
        try:
            wanted_id = bytes.fromhex(hex_id)
            material = base64.b64decode(encoded, validate=True)
        except (ValueError, binascii.Error) as exc:
            raise InvalidNote(f"malformed verifier key: {exc}") from exc
        if len(wanted_id) != 4 or len(material) != 33 or material[:1] != _ED25519:
            raise InvalidNote("the verifier key is not an Ed25519 signed-note key")
        computed = hashlib.sha256(name.encode("utf-8") + b"\n" + material).digest()[:4]
        if computed != wanted_id:
            raise InvalidNote("the verifier key's id does not match its name and public key")
        return cls(name, wanted_id, Ed25519PublicKey.from_public_bytes(material[1:]), text)


@dataclass(frozen=True)
class Checkpoint:
    origin: str
    size: int
    root: bytes
    note: str


def _open_note(note: str, key: VerifierKey) -> str:
    """The note's text if a signature by `key` verifies; signatures by other keys are skipped."""
    if any(ord(c) < 0x20 and c != "\n" for c in note):
        raise InvalidNote("a note holds no control characters but newlines")
    split = note.rfind("\n\n")
    if split < 0 or not note.endswith("\n"):
        raise InvalidNote("a note is text, a blank line, then signature lines")
    # Split on "\n" only, as Go's note.Open does: splitlines() would also break at U+2028,
    # U+0085 and the like, and accept notes that other verifiers refuse.
    text, lines = note[: split + 1], note[split + 2 : -1].split("\n")
    if not lines or lines == [""]:
        raise InvalidNote("the note has no signature lines")
    verified = False
    for line in lines:
        if not line.startswith(_SIGNATURE_LINE):
            raise InvalidNote("a signature line starts with an em dash and a space")
        name, _, encoded = line[len(_SIGNATURE_LINE) :].rpartition(" ")
        try:
            blob = base64.b64decode(encoded, validate=True)
        except binascii.Error as exc:
            raise InvalidNote("a signature is not base64") from exc
        if name != key.name or blob[:4] != key.key_id:
            continue
        try:
            key.public_key.verify(blob[4:], text.encode("utf-8"))
        except InvalidSignature as exc:
            # Every signature by the key must verify, not only the first: a note that also
            # carries a bad one by the same key was tampered with.
            raise InvalidNote("the signature by the given key does not verify") from exc
        verified = True
    if verified:
        return text
    raise InvalidNote(f"the note carries no signature by the key {key.name}+{key.key_id.hex()}")


def open_checkpoint(note: str, key: str | VerifierKey) -> Checkpoint:
    """Verify the note's signature with `key`, then read its origin, size and root hash."""
    key = key if isinstance(key, VerifierKey) else VerifierKey.parse(key)
    lines = _open_note(note, key).split("\n")
    if len(lines) < 4 or lines[-1] != "" or any(not line for line in lines[:-1]):
        raise InvalidNote("a checkpoint is origin, tree size and root hash, one per line")
    origin, size, encoded = lines[0], lines[1], lines[2]
    if origin != key.name:
        raise InvalidNote(f"the checkpoint's origin {origin!r} is not the key's name")
    if not _DECIMAL.match(size):
        raise InvalidNote("the checkpoint's tree size is not a decimal number")
    try:
        root = base64.b64decode(encoded, validate=True)
    except binascii.Error as exc:
        raise InvalidNote("the checkpoint's root hash is not base64") from exc
    if len(root) != 32:
        raise InvalidNote("the checkpoint's root hash is not 32 bytes")
    return Checkpoint(origin, int(size), root, note)
