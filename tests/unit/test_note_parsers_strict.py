"""Issue 11 item 14: both of the hub's note parsers (the server's hub.audit.signed_note and
the outside verifier's hub_verify.notes) split signature lines on "\\n" only, as Go's
note.Open does, and refuse a note that carries a bad signature by the key next to a good one.
"""

from __future__ import annotations

import base64

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from hub.audit import signed_note
from hub_verify import notes as outside

ORIGIN = "hub.example/audit"


@pytest.fixture(scope="module")
def key() -> Ed25519PrivateKey:
    return Ed25519PrivateKey.generate()


@pytest.fixture(scope="module")
def signed(key) -> tuple[str, str]:
    note = signed_note.sign_checkpoint(origin=ORIGIN, size=3, root=b"\x07" * 32, private_key=key)
    return note, signed_note.verifier_key(ORIGIN, key)


def _both_refuse(note: str, verifier: str) -> None:
    with pytest.raises(signed_note.InvalidNote):
        signed_note.parse_and_verify_note(note, verifier)
    with pytest.raises(outside.InvalidNote):
        outside.open_checkpoint(note, verifier)


def test_both_parsers_open_the_hubs_own_note(signed):
    note, verifier = signed
    assert signed_note.parse_and_verify_note(note, verifier).size == 3
    assert outside.open_checkpoint(note, verifier).size == 3


@pytest.mark.parametrize("separator", ["\u2028", "\u2029", "\u0085", "\x1c", "\x0b", "\r"])
def test_a_signature_line_broken_by_another_line_separator_is_refused(signed, key, separator):
    note, verifier = signed
    second = signed_note.sign_note(
        note.split("\n\n", 1)[0] + "\n", name="witness.example", private_key=key
    ).split("\n\n", 1)[1]
    # Two signature lines joined by something splitlines() breaks at but Go does not.
    joined = note[:-1] + separator + second
    _both_refuse(joined, verifier)


def test_a_later_bad_signature_by_the_same_key_is_refused(signed):
    note, verifier = signed
    text, lines = note.split("\n\n", 1)
    good = lines.rstrip("\n")
    name, encoded = good[len("\u2014 ") :].rsplit(" ", 1)
    blob = bytearray(base64.b64decode(encoded))
    blob[-1] ^= 0x01  # same key id, a signature that does not verify
    bad = f"\u2014 {name} {base64.b64encode(bytes(blob)).decode()}"
    tampered = f"{text}\n\n{good}\n{bad}\n"
    _both_refuse(tampered, verifier)
    # The other order, too.
    _both_refuse(f"{text}\n\n{bad}\n{good}\n", verifier)
