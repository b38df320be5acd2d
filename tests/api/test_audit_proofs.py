"""The proofs and checkpoints anyone can fetch, checked by a verifier written here from the
RFCs with hashlib alone (nothing of hub.audit): RFC 9162 section 2.1.3.2 for inclusion,
section 2.1.4.2 for consistency, against roots the hub signed (C2SP signed notes, Ed25519)."""

from __future__ import annotations

import base64
import hashlib

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from sqlalchemy import select

from hub import db
from hub.db.models import AuditEvent
from tests.conftest import make_settings
from tests.helpers import bearer, token_for

API = "/api/v1/audit"

# -- an independent RFC 6962 / 9162 verifier ------------------------------------------------


def leaf_hash(leaf: bytes) -> bytes:
    return hashlib.sha256(b"\x00" + leaf).digest()


def node(left: bytes, right: bytes) -> bytes:
    return hashlib.sha256(b"\x01" + left + right).digest()


def mth(hashes: list[bytes]) -> bytes:
    """MTH(D[n]) of RFC 6962 section 2.1, recursively, from leaf hashes."""
    if not hashes:
        return hashlib.sha256(b"").digest()
    if len(hashes) == 1:
        return hashes[0]
    k = 1
    while k * 2 < len(hashes):
        k *= 2
    return node(mth(hashes[:k]), mth(hashes[k:]))


def inclusion_ok(index: int, size: int, leaf: bytes, proof: list[bytes], root: bytes) -> bool:
    """RFC 9162 section 2.1.3.2, step by step."""
    if index >= size:
        return False
    fn, sn, r = index, size - 1, leaf
    for p in proof:
        if sn == 0:
            return False
        if fn & 1 == 1 or fn == sn:
            r = node(p, r)
            while fn & 1 == 0 and fn != 0:
                fn >>= 1
                sn >>= 1
        else:
            r = node(r, p)
        fn >>= 1
        sn >>= 1
    return sn == 0 and r == root


def consistency_ok(
    first: int, second: int, first_root: bytes, second_root: bytes, proof: list[bytes]
) -> bool:
    """RFC 9162 section 2.1.4.2, step by step (0 < first <= second)."""
    if first == second:
        return proof == [] and first_root == second_root
    if not proof:
        return False
    if first & (first - 1) == 0:
        proof = [first_root, *proof]
    fn, sn = first - 1, second - 1
    while fn & 1 == 1:
        fn >>= 1
        sn >>= 1
    fr = sr = proof[0]
    for c in proof[1:]:
        if sn == 0:
            return False
        if fn & 1 == 1 or fn == sn:
            fr, sr = node(c, fr), node(c, sr)
            while fn & 1 == 0 and fn != 0:
                fn >>= 1
                sn >>= 1
        else:
            sr = node(sr, c)
        fn >>= 1
        sn >>= 1
    return sn == 0 and fr == first_root and sr == second_root


def open_checkpoint(note: str, verifier_key: str) -> tuple[int, bytes]:
    """Check a C2SP signed checkpoint with an Ed25519 verifier key; return (size, root)."""
    name, key_id, material = verifier_key.split("+", 2)  # base64 may hold "+" too
    public = base64.b64decode(material)
    assert public[:1] == b"\x01"
    assert hashlib.sha256(name.encode() + b"\n" + public).digest()[:4].hex() == key_id
    text, signatures = note.split("\n\n", 1)
    text += "\n"
    ours = [s for s in signatures.splitlines() if s.startswith(f"\u2014 {name} ")]
    assert len(ours) == 1, note
    blob = base64.b64decode(ours[0].rsplit(" ", 1)[1])
    assert blob[:4].hex() == key_id
    Ed25519PublicKey.from_public_bytes(public[1:]).verify(blob[4:], text.encode())  # or raise
    origin, size, root = text.splitlines()
    assert origin == name
    return int(size), base64.b64decode(root)


def test_the_independent_verifier_rejects_what_it_should():
    hashes = [leaf_hash(bytes([i])) for i in range(11)]
    root = mth(hashes)
    # a hand-made path for leaf 3 in a tree of 4: its sibling, then the left pair's hash
    assert inclusion_ok(3, 4, hashes[3], [hashes[2], node(hashes[0], hashes[1])], mth(hashes[:4]))
    assert not inclusion_ok(3, 4, hashes[3], [hashes[1], node(hashes[0], hashes[1])], root)
    assert not consistency_ok(3, 11, mth(hashes[:3]), root, [])


# -- helpers --------------------------------------------------------------------------------


def leaves(app) -> list[bytes]:
    with app.app_context(), db.read_only() as session:
        return [
            bytes(leaf)
            for leaf in session.execute(select(AuditEvent.leaf).order_by(AuditEvent.index))
            .scalars()
            .all()
        ]


def signed_checkpoint(client) -> tuple[int, bytes]:
    """A checkpoint for the log's current size, as the hub's schedule signs them, fetched as
    anyone fetches it (GET /checkpoint serves the latest kept; a request never signs)."""
    from hub.audit import signed_checkpoint as sign_now

    key = client.get(f"{API}/public-key").get_json()["verifier_key"]
    with client.application.app_context():
        sign_now(client.application)
    return open_checkpoint(client.get(f"{API}/checkpoint").get_data(as_text=True), key)


def proof(client, path: str, **query) -> list[bytes]:
    r = client.get(f"{API}/proof/{path}", query_string=query)
    assert r.status_code == 200, r.get_json()
    return [bytes.fromhex(h) for h in r.get_json()["proof"]]


# -- proofs ---------------------------------------------------------------------------------


def test_proofs_have_the_issue_shapes_and_need_no_token(client, app):
    for _ in range(6):
        client.get(f"{API}/public-key")
    inclusion = client.get(f"{API}/proof/inclusion", query_string={"index": 2, "size": 5})
    assert inclusion.status_code == 200
    body = inclusion.get_json()
    assert set(body) == {"index", "size", "proof"}
    assert (body["index"], body["size"]) == (2, 5)
    assert all(len(h) == 64 and int(h, 16) >= 0 for h in body["proof"])

    consistency = client.get(f"{API}/proof/consistency", query_string={"from": 3, "to": 6})
    assert consistency.status_code == 200
    body = consistency.get_json()
    assert set(body) == {"from", "to", "proof"}
    assert (body["from"], body["to"]) == (3, 6)

    current = client.get(f"{API}/proof/consistency", query_string={"from": 2}).get_json()
    assert current["to"] >= 8  # omitted: the log's current size
    latest = client.get(f"{API}/proof/inclusion", query_string={"index": 0}).get_json()
    assert latest["size"] >= 9

    with app.app_context(), db.read_only() as session:
        recorded = session.execute(
            select(AuditEvent.action, AuditEvent.resource, AuditEvent.outcome, AuditEvent.details)
            .where(AuditEvent.resource.like("audit/proof/%"))
            .order_by(AuditEvent.index)
        ).all()
    assert [(a, r, o) for a, r, o, _ in recorded] == [
        ("audit.verify", "audit/proof/inclusion", "allowed"),
        ("audit.verify", "audit/proof/consistency", "allowed"),
        ("audit.verify", "audit/proof/consistency", "allowed"),
        ("audit.verify", "audit/proof/inclusion", "allowed"),
    ]
    assert recorded[0][3]["index"] == 2 and recorded[0][3]["size"] == 5
    assert recorded[1][3]["from"] == 3 and recorded[1][3]["to"] == 6


@pytest.mark.parametrize(
    ("path", "query", "status"),
    [
        ("inclusion", {"index": 4, "size": 4}, 404),
        ("inclusion", {"index": 0, "size": 10_000}, 404),
        ("inclusion", {"index": -1, "size": 2}, 400),
        ("consistency", {"from": 4, "to": 3}, 400),
        ("consistency", {"from": 0, "to": 3}, 400),
        ("consistency", {"from": 2, "to": 10_000}, 404),
        ("consistency", {"to": 3}, 400),
    ],
)
def test_impossible_proofs_are_refused_with_a_problem(client, path, query, status):
    for _ in range(4):
        client.get(f"{API}/public-key")
    r = client.get(f"{API}/proof/{path}", query_string=query)
    assert r.status_code == status
    assert r.headers["Content-Type"].startswith("application/problem+json")
    assert r.get_json()["detail"]


def test_every_inclusion_proof_verifies_against_the_signed_roots(client, app):
    for _ in range(4):
        client.get(f"{API}/public-key")
    first = signed_checkpoint(client)
    for _ in range(9):
        client.get(f"{API}/public-key")
    second = signed_checkpoint(client)
    hashes = [leaf_hash(leaf) for leaf in leaves(app)]
    assert first[0] < second[0] <= len(hashes)

    for size, root in (first, second):
        assert mth(hashes[:size]) == root
        for index in range(size):
            path = proof(client, "inclusion", index=index, size=size)
            assert inclusion_ok(index, size, hashes[index], path, root), (index, size)
            # the same proof fails for any other leaf, and against the other signed root
            assert not inclusion_ok(index, size, hashes[(index + 1) % size], path, root) or (
                size == 1
            )
            other = second[1] if root == first[1] else first[1]
            assert not inclusion_ok(index, size, hashes[index], path, other)

    # and at every other size, against the root computed from the leaves
    for size in range(1, second[0] + 1):
        root = mth(hashes[:size])
        for index in {0, size // 2, size - 1}:
            path = proof(client, "inclusion", index=index, size=size)
            assert inclusion_ok(index, size, hashes[index], path, root), (index, size)


def test_every_consistency_proof_verifies_between_signed_roots(client, app):
    signed = []
    for burst in (1, 2, 5, 8):
        for _ in range(burst):
            client.get(f"{API}/public-key")
        signed.append(signed_checkpoint(client))
    hashes = [leaf_hash(leaf) for leaf in leaves(app)]

    for i, (old_size, old_root) in enumerate(signed):
        for new_size, new_root in signed[i:]:
            path = proof(client, "consistency", **{"from": old_size, "to": new_size})
            assert consistency_ok(old_size, new_size, old_root, new_root, path)
            if new_size != old_size:
                assert not consistency_ok(old_size, new_size, new_root, old_root, path)
                assert not consistency_ok(old_size, new_size, old_root, new_root, path[:-1])

    top = signed[-1][0]
    for old_size in range(1, top + 1):
        for new_size in range(old_size, top + 1):
            path = proof(client, "consistency", **{"from": old_size, "to": new_size})
            assert consistency_ok(
                old_size, new_size, mth(hashes[:old_size]), mth(hashes[:new_size]), path
            ), (old_size, new_size)


# -- checkpoints kept -----------------------------------------------------------------------


@pytest.fixture
def app_every_5(tmp_path, database_url, test_keys):
    """A hub that signs a checkpoint every 5 events."""
    from hub.agreements import sync_to_database
    from hub.app import create_app

    app = create_app(make_settings(tmp_path, database_url, test_keys, checkpoint_every_events=5))
    with app.app_context():
        sync_to_database()
    yield app
    db.get_engine(app).dispose()


def kept_sizes(client) -> list[int]:
    return [c["size"] for c in client.get(f"{API}/checkpoints").get_json()["items"]]


def test_a_checkpoint_is_kept_every_n_events_and_listed_for_anyone(app_every_5):
    app = app_every_5
    client = app.test_client()
    key = client.get(f"{API}/public-key").get_json()["verifier_key"]
    for _ in range(21):
        client.get(f"{API}/public-key")  # no checkpoint asked for
    size = len(leaves(app))

    r = client.get(f"{API}/checkpoints")
    assert r.status_code == 200
    page = r.get_json()
    assert set(page) == {"items", "next_cursor"}
    assert page["next_cursor"] is None
    sizes = [c["size"] for c in page["items"]]
    assert len(sizes) >= 4
    assert all(later - earlier == 5 for earlier, later in zip(sizes, sizes[1:], strict=False))
    assert size - 5 < sizes[-1] <= size

    hashes = [leaf_hash(leaf) for leaf in leaves(app)]
    for item in page["items"]:
        assert set(item) == {"size", "root", "note", "created_at"}
        signed_size, root = open_checkpoint(item["note"], key)
        assert signed_size == item["size"]
        assert root.hex() == item["root"] == mth(hashes[:signed_size]).hex()
        assert item["created_at"].endswith("Z")

    # the list request was event `size`; the append that makes the log 5 longer signs again
    for _ in range(sizes[-1] + 5 - (size + 1)):
        client.get(f"{API}/public-key")
    assert kept_sizes(client) == [*sizes, sizes[-1] + 5]

    first = client.get(f"{API}/checkpoints", query_string={"limit": 2}).get_json()
    assert [c["size"] for c in first["items"]] == sizes[:2]
    assert first["next_cursor"] == sizes[1]
    rest = client.get(
        f"{API}/checkpoints", query_string={"after": first["next_cursor"], "limit": 2}
    ).get_json()
    assert [c["size"] for c in rest["items"]] == sizes[2:4]

    with app.app_context(), db.read_only() as session:
        listed = session.execute(
            select(AuditEvent.action, AuditEvent.actor_client, AuditEvent.outcome).where(
                AuditEvent.resource == "audit/checkpoints"
            )
        ).all()
    assert listed and all(row == ("audit.verify", None, "allowed") for row in listed)


def test_consistency_between_kept_checkpoints_verifies(app_every_5):
    client = app_every_5.test_client()
    key = client.get(f"{API}/public-key").get_json()["verifier_key"]
    for _ in range(17):
        client.get(f"{API}/public-key")
    kept = [
        open_checkpoint(c["note"], key)
        for c in client.get(f"{API}/checkpoints").get_json()["items"]
    ]
    assert len(kept) >= 3
    for (old_size, old_root), (new_size, new_root) in zip(kept, kept[1:], strict=False):
        path = proof(client, "consistency", **{"from": old_size, "to": new_size})
        assert consistency_ok(old_size, new_size, old_root, new_root, path)


def test_the_checkpoint_list_needs_no_token_but_the_events_do(client, app):
    assert client.get(f"{API}/checkpoints").status_code == 200
    assert client.get(f"{API}/events").status_code == 401
    token = token_for(client, app, partner="northshire-council", roles=["ig_officer"])
    assert client.get(f"{API}/events", headers=bearer(token)).status_code == 200


def test_the_proof_and_checkpoint_endpoints_are_typed_in_openapi(client):
    doc = client.get("/openapi.json").get_json()
    paths = doc["paths"]
    params = {p["name"] for p in paths[f"{API}/checkpoints"]["get"]["parameters"]}
    assert {"after", "limit"} <= params
    assert {p["name"] for p in paths[f"{API}/proof/consistency"]["get"]["parameters"]} == {
        "from",
        "to",
    }
    assert {p["name"] for p in paths[f"{API}/proof/inclusion"]["get"]["parameters"]} == {
        "index",
        "size",
    }
    schemas = doc["components"]["schemas"]
    assert set(schemas["CheckpointPage"]["properties"]) == {"items", "next_cursor"}
    assert set(schemas["CheckpointOut"]["properties"]) == {"size", "root", "note", "created_at"}
    assert set(schemas["InclusionOut"]["properties"]) == {"index", "size", "proof"}
    assert set(schemas["ConsistencyOut"]["properties"]) == {"from", "to", "proof"}
    for path in ("checkpoints", "proof/inclusion", "proof/consistency"):
        assert not paths[f"{API}/{path}"]["get"].get("security")
