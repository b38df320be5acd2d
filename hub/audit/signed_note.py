"""Signed checkpoints: C2SP tlog-checkpoint bodies in C2SP signed notes, signed with Ed25519.

    <origin>
    <size>
    <base64 root>

    — <key name> <base64(4-byte key id || Ed25519 signature of the body)>

key id = SHA-256(key name || 0x0A || 0x01 || 32-byte public key)[:4]; the verifier key is
`<name>+<hex key id>+<base64(0x01 || public key)>`. The hub's key name is its origin.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import re
from dataclasses import dataclass

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

ED25519 = b"\x01"
_DASH = "\u2014 "
_MAX_SIGNATURES = 16
_SIZE = re.compile(r"^(0|[1-9][0-9]*)$")


class InvalidNote(ValueError):
    """The note is malformed, or no signature by the given key verifies."""


def check_key_name(name: str) -> None:
    if not name or any(c.isspace() or c == "+" for c in name):
        raise ValueError(f"a note key name must be non-empty, without spaces or '+': {name!r}")


def raw_public_key(key: Ed25519PrivateKey | Ed25519PublicKey) -> bytes:
    public = key.public_key() if isinstance(key, Ed25519PrivateKey) else key
    return public.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)


def key_id(name: str, public_key: bytes) -> bytes:
    return hashlib.sha256(name.encode("utf-8") + b"\n" + ED25519 + public_key).digest()[:4]


def verifier_key(name: str, key: Ed25519PrivateKey | Ed25519PublicKey) -> str:
    check_key_name(name)
    public = raw_public_key(key)
    encoded = base64.b64encode(ED25519 + public).decode("ascii")
    return f"{name}+{key_id(name, public).hex()}+{encoded}"


def checkpoint_body(*, origin: str, size: int, root: bytes) -> str:
    check_key_name(origin)
    return f"{origin}\n{size}\n{base64.b64encode(root).decode('ascii')}\n"


def sign_note(text: str, *, name: str, private_key: Ed25519PrivateKey) -> str:
    if not text.endswith("\n"):
        raise ValueError("a note's text ends with a newline")
    check_key_name(name)
    signature = private_key.sign(text.encode("utf-8"))
    blob = key_id(name, raw_public_key(private_key)) + signature
    return f"{text}\n{_DASH}{name} {base64.b64encode(blob).decode('ascii')}\n"


def sign_checkpoint(*, origin: str, size: int, root: bytes, private_key: Ed25519PrivateKey) -> str:
    return sign_note(
        checkpoint_body(origin=origin, size=size, root=root), name=origin, private_key=private_key
    )


@dataclass(frozen=True)
class Verifier:
    name: str
    key_id: bytes
    public_key: Ed25519PublicKey

    @classmethod
    def parse(cls, text: str) -> Verifier:
        parts = text.split("+", 2)
        if len(parts) != 3:
            raise InvalidNote("a verifier key reads <name>+<hex key id>+<base64 key>")
        name, hex_id, encoded = parts
        try:
            check_key_name(name)
            wanted_id = bytes.fromhex(hex_id)
            material = base64.b64decode(encoded, validate=True)
        except (ValueError, binascii.Error) as exc:
            raise InvalidNote(f"malformed verifier key: {exc}") from exc
        if len(wanted_id) != 4 or len(material) != 33 or material[:1] != ED25519:
            raise InvalidNote("the verifier key is not an Ed25519 note key")
        if key_id(name, material[1:]) != wanted_id:
            raise InvalidNote("the verifier key's id does not match its name and key")
        return cls(name, wanted_id, Ed25519PublicKey.from_public_bytes(material[1:]))


def open_note(note: str, verifier: str | Verifier) -> str:
    """Return the note's text if a signature by `verifier` verifies; raise InvalidNote if not.

    Signatures by other keys are ignored, as the signed-note spec says.
    """
    key = verifier if isinstance(verifier, Verifier) else Verifier.parse(verifier)
    if any(ord(c) < 0x20 and c != "\n" for c in note):
        raise InvalidNote("a note may hold no control characters but newlines")
    split = note.rfind("\n\n")
    if split < 0 or not note.endswith("\n"):
        raise InvalidNote("a note is text, a blank line, then signature lines")
    # Split on "\n" only, as Go's note.Open does: splitlines() would also break at U+2028,
    # U+0085 and the like, and accept notes that other verifiers refuse.
    signature_lines = note[split + 2 : -1].split("\n")
    text = note[: split + 1]
    if signature_lines == [""] or len(signature_lines) > _MAX_SIGNATURES:
        raise InvalidNote("a note needs between 1 and 16 signature lines")
    verified = False
    for line in signature_lines:
        if not line.startswith(_DASH):
            raise InvalidNote("a signature line starts with an em dash and a space")
        name, _, encoded = line[len(_DASH) :].rpartition(" ")
        try:
            blob = base64.b64decode(encoded, validate=True)
        except binascii.Error as exc:
            raise InvalidNote("a signature is not base64") from exc
        if len(blob) < 4:
            raise InvalidNote("a signature is too short")
        if name != key.name or blob[:4] != key.key_id:
            continue  # someone else's signature (a witness, an older key): not ours to check
        try:
            key.public_key.verify(blob[4:], text.encode("utf-8"))
        except InvalidSignature as exc:
            raise InvalidNote("the signature by the given key does not verify") from exc
        verified = True
    if not verified:
        raise InvalidNote("the note carries no signature by the given key")
    return text


@dataclass(frozen=True)
class Checkpoint:
    origin: str
    size: int
    root: bytes


def parse_checkpoint(text: str) -> Checkpoint:
    lines = text.split("\n")
    if len(lines) < 4 or lines[-1] != "" or any(not line for line in lines[:-1]):
        raise InvalidNote("a checkpoint is origin, size and root hash, each on its own line")
    origin, size, encoded = lines[0], lines[1], lines[2]
    if not _SIZE.match(size):
        raise InvalidNote("the checkpoint size is not a decimal number")
    try:
        root = base64.b64decode(encoded, validate=True)
    except binascii.Error as exc:
        raise InvalidNote("the checkpoint root hash is not base64") from exc
    if len(root) != 32:
        raise InvalidNote("the checkpoint root hash is not 32 bytes")
    return Checkpoint(origin, int(size), root)


def parse_and_verify_note(note: str, verifier_key: str) -> Checkpoint:
    """Verify a checkpoint note against a verifier key and return its origin, size and root."""
    checkpoint = parse_checkpoint(open_note(note, verifier_key))
    key = Verifier.parse(verifier_key)
    if checkpoint.origin != key.name:
        raise InvalidNote("the checkpoint's origin is not the signing key's name")
    return checkpoint
