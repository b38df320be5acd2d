"""Signed checkpoints (C2SP signed-note, tlog-checkpoint) and canonical leaf bytes."""

from __future__ import annotations

import base64
import json
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from hub import clock
from hub.audit import merkle, signed_note
from hub.audit.events import Actor, NewEvent, canonical_json, format_time, leaf_bytes
from hub.auth.identity import Identity, Person

VECTORS = json.loads(
    (
        Path(__file__).resolve().parent.parent / "data" / "merkle" / "rfc6962-vectors.json"
    ).read_text()
)
GO = VECTORS["signed_note"]


def go_private_key() -> Ed25519PrivateKey:
    # PRIVATE+KEY+<name>+<id>+<base64(0x01 || seed)>; the base64 may itself hold '+'.
    seed = base64.b64decode(GO["signer_key"].split("+", 4)[4])
    assert seed[0] == 1
    return Ed25519PrivateKey.from_private_bytes(seed[1:])


# -- signed notes: the golang.org/x/mod/sumdb/note example ----------------------------------


def test_signing_reproduces_the_go_note_byte_for_byte():
    key = go_private_key()
    assert signed_note.verifier_key("PeterNeumann", key) == GO["verifier_key"]
    assert signed_note.sign_note(GO["text"], name="PeterNeumann", private_key=key) == GO["note"]


def test_the_go_note_opens_with_its_verifier_key():
    assert signed_note.open_note(GO["note"], GO["verifier_key"]) == GO["text"]


@pytest.mark.parametrize(
    "tamper",
    [
        lambda n: n.replace("cryptography", "cryptographY"),
        lambda n: n.replace("x08go", "x08gp"),
        lambda n: n.replace("\n\n", "\n"),
        lambda n: n.rstrip("\n"),
        lambda n: n.replace("\u2014 ", "- "),
        lambda n: n.replace("PeterNeumann x", "PeterNeumann !!!x"),
        lambda n: n.replace("problem,", "problem,\x07"),
    ],
)
def test_a_tampered_note_does_not_open(tamper):
    with pytest.raises(signed_note.InvalidNote):
        signed_note.open_note(tamper(GO["note"]), GO["verifier_key"])


def test_signatures_by_other_keys_are_ignored_but_one_of_ours_is_needed():
    other = Ed25519PrivateKey.generate()
    cosigned = signed_note.sign_note(GO["text"], name="witness.example", private_key=other)
    both = GO["note"] + cosigned.split("\n\n", 1)[1]
    assert signed_note.open_note(both, GO["verifier_key"]) == GO["text"]
    with pytest.raises(signed_note.InvalidNote, match="no signature by the given key"):
        signed_note.open_note(cosigned, GO["verifier_key"])


@pytest.mark.parametrize(
    "bad",
    [
        "PeterNeumann+c74f20a3",
        "PeterNeumann+c74f20a4+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW",
        "PeterNeumann+c74f20a3+AhpcMQcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW",
        "Peter Neumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW",
        "PeterNeumann+zz4f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW",
    ],
)
def test_malformed_verifier_keys_are_refused(bad):
    with pytest.raises(signed_note.InvalidNote):
        signed_note.open_note(GO["note"], bad)


# -- checkpoints -----------------------------------------------------------------------------


def test_checkpoint_note_has_the_c2sp_shape_and_verifies():
    key = Ed25519PrivateKey.generate()
    root = merkle.root([b"a", b"b", b"c"])
    note = signed_note.sign_checkpoint(
        origin="hub.example/audit", size=3, root=root, private_key=key
    )
    body, signature = note.split("\n\n")
    assert body == f"hub.example/audit\n3\n{base64.b64encode(root).decode()}"
    assert signature.startswith("\u2014 hub.example/audit ")
    blob = base64.b64decode(signature.split(" ")[2])
    public = signed_note.raw_public_key(key)
    assert blob[:4] == signed_note.key_id("hub.example/audit", public)
    assert len(blob) == 4 + 64
    vkey = signed_note.verifier_key("hub.example/audit", key)
    name, key_hex, material = vkey.split("+", 2)
    assert (name, key_hex) == ("hub.example/audit", blob[:4].hex())
    assert base64.b64decode(material) == b"\x01" + public
    parsed = signed_note.parse_and_verify_note(note, vkey)
    assert (parsed.origin, parsed.size, parsed.root) == ("hub.example/audit", 3, root)


def test_a_checkpoint_under_another_key_or_origin_does_not_verify():
    key, other = Ed25519PrivateKey.generate(), Ed25519PrivateKey.generate()
    note = signed_note.sign_checkpoint(
        origin="hub.example/audit", size=0, root=merkle.EMPTY_ROOT, private_key=key
    )
    with pytest.raises(signed_note.InvalidNote):
        signed_note.parse_and_verify_note(
            note, signed_note.verifier_key("hub.example/audit", other)
        )
    forged = note.replace("\n0\n", "\n1\n", 1)
    with pytest.raises(signed_note.InvalidNote):
        signed_note.parse_and_verify_note(
            forged, signed_note.verifier_key("hub.example/audit", key)
        )


@pytest.mark.parametrize("origin", ["", "hub example", "hub+example"])
def test_origins_that_cannot_be_key_names_are_refused(origin):
    with pytest.raises(ValueError):
        signed_note.checkpoint_body(origin=origin, size=1, root=merkle.EMPTY_ROOT)


# -- leaves ----------------------------------------------------------------------------------


def test_canonical_json_sorts_keys_keeps_utf8_and_drops_whitespace():
    assert (
        canonical_json({"b": 1, "a": ["é", None, True]}) == '{"a":["é",null,true],"b":1}'.encode()
    )
    with pytest.raises(ValueError):
        canonical_json({"x": float("nan")})


def test_times_are_rfc3339_utc_with_microseconds():
    moment = datetime(2026, 3, 1, 10, 0, 0, 5, tzinfo=timezone(timedelta(hours=1)))
    assert format_time(moment) == "2026-03-01T09:00:00.000005Z"
    with pytest.raises(ValueError):
        format_time(datetime(2026, 3, 1))  # noqa: DTZ001 - naive on purpose


def test_leaf_bytes_are_the_canonical_event():
    actor = Actor.of(
        Identity(client_id="c1", partner="p1", roles=frozenset({"b", "a"}), owner="o")
    )
    leaf = leaf_bytes(
        index=7,
        time=datetime(2026, 1, 2, 3, 4, 5, 123456, tzinfo=UTC),
        request_id="r" * 8,
        actor=actor,
        action="audit.read",
        resource="audit/events",
        outcome="allowed",
        reason="ok",
        details={"z": 1, "a": "ü"},
    )
    assert (
        leaf
        == (
            '{"action":"audit.read","actor":{"client":"c1","kind":"system","owner":"o",'
            '"partner":"p1","roles":["a","b"]},'
            '"details":{"a":"ü","z":1},"index":7,"outcome":"allowed","reason":"ok",'
            '"request_id":"rrrrrrrr","resource":"audit/events","time":"2026-01-02T03:04:05.123456Z"}'
        ).encode()
    )


def test_a_persons_actor_names_issuer_subject_and_name_and_old_actors_keep_their_bytes():
    person = Person(issuer="https://idp.example/police", subject="s-1", name="Priya Shah")
    actor = Actor.of(
        Identity(client_id="person:x", partner="p1", roles=frozenset({"analyst"}), person=person)
    )
    assert actor.as_json() == {
        "client": "person:x",
        "partner": "p1",
        "roles": ["analyst"],
        "kind": "person",
        "issuer": "https://idp.example/police",
        "subject": "s-1",
        "name": "Priya Shah",
    }
    assert actor.display == "Priya Shah"
    # An actor written before people were named (no kind) reads back as it was written.
    old = Actor.of({"client": "c1", "partner": "p1", "roles": ["a"]})
    assert old.as_json() == {"client": "c1", "partner": "p1", "roles": ["a"]}


def test_actors_from_identities_dicts_or_nothing():
    assert Actor.of(None) is None
    assert Actor.of({"client": None, "partner": None, "roles": []}) is None
    assert Actor.of({"client": "x" * 100, "partner": "p", "roles": ["r"]}).client == "x" * 64


def test_new_events_fit_their_columns_and_refuse_unknown_outcomes():
    event = NewEvent(action="a" * 200, resource="r", outcome="denied", reason="x" * 2000)
    assert len(event.action) == 100 and len(event.reason) == 1000
    with pytest.raises(ValueError):
        NewEvent(action="a", resource="r", outcome="maybe")
    with pytest.raises(TypeError):
        NewEvent(action="a", resource="r", outcome="allowed", details={"when": clock.now()})
