"""hub.audit.merkle against the published RFC 6962 test data of transparency-dev/merkle
(tests/data/merkle, sources named in its README) and against properties any tree must have."""

from __future__ import annotations

import base64
import hashlib
import json
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from hub.audit import merkle

DATA = Path(__file__).resolve().parent.parent / "data" / "merkle"
VECTORS = json.loads((DATA / "rfc6962-vectors.json").read_text())
PROBES = DATA / "transparency-dev"
LEAVES = [bytes.fromhex(x) for x in VECTORS["leaf_inputs"]]
ROOTS = [bytes.fromhex(x) for x in VECTORS["roots_by_size"]]
SOME_HASH = bytes.fromhex("abacaba000000000000000000000000000000000000000000060061e00123456")


def hexes(values):
    return [bytes.fromhex(v) for v in values]


def b64(value):
    return base64.b64decode(value or "")


# -- the hasher ------------------------------------------------------------------------------


def test_hasher_matches_rfc6962_vectors():
    h = VECTORS["hasher"]
    assert merkle.EMPTY_ROOT.hex() == h["empty_root"]
    assert merkle.leaf_hash(b"").hex() == h["empty_leaf_hash"]
    assert merkle.leaf_hash(h["leaf"]["input_ascii"].encode()).hex() == h["leaf"]["hash"]
    node = h["node"]
    assert (
        merkle.node_hash(node["left_ascii"].encode(), node["right_ascii"].encode()).hex()
        == (node["hash"])
    )


def test_leaf_and_node_hashes_are_domain_separated():
    a, b = merkle.leaf_hash(b"Hello"), merkle.leaf_hash(b"World")
    assert merkle.node_hash(a, b) != merkle.leaf_hash(a + b)
    assert merkle.node_hash(a, b) != merkle.node_hash(b, a)


# -- roots -----------------------------------------------------------------------------------


@pytest.mark.parametrize("size", range(len(ROOTS)))
def test_root_of_each_prefix_of_the_eight_standard_leaves(size):
    assert merkle.root(LEAVES[:size]) == ROOTS[size]


def test_node_hashes_are_the_roots_of_the_perfect_subtrees():
    for level, hashes in enumerate(VECTORS["node_hashes"]):
        width = 1 << level
        for i, expected in enumerate(hashes):
            assert merkle.root(LEAVES[i * width : (i + 1) * width]).hex() == expected


def test_empty_tree_is_the_hash_of_nothing():
    assert merkle.root([]) == hashlib.sha256(b"").digest()


# -- proofs from verify_test.go --------------------------------------------------------------


@pytest.mark.parametrize(
    "case", VECTORS["inclusion_proofs"], ids=lambda c: f"{c['index']}:{c['size']}"
)
def test_inclusion_proofs_match_published_vectors(case):
    index, size, proof = case["index"], case["size"], hexes(case["proof"])
    assert merkle.inclusion_proof(index, size, LEAVES) == proof
    assert merkle.verify_inclusion(
        index=index,
        size=size,
        leaf_hash=merkle.leaf_hash(LEAVES[index]),
        proof=proof,
        root=ROOTS[size],
    )


@pytest.mark.parametrize(
    "case", VECTORS["consistency_proofs"], ids=lambda c: f"{c['old_size']}:{c['new_size']}"
)
def test_consistency_proofs_match_published_vectors(case):
    old, new, proof = case["old_size"], case["new_size"], hexes(case["proof"])
    assert merkle.consistency_proof(old, new, LEAVES) == proof
    assert merkle.verify_consistency(
        old_size=old, new_size=new, old_root=ROOTS[old], new_root=ROOTS[new], proof=proof
    )


LONG = [b"leaf %d" % i for i in range(100)]


@pytest.mark.parametrize("case", VECTORS["inclusion_proof_lengths"], ids=str)
def test_inclusion_proof_shapes_from_proof_test(case):
    size, index = case["size"], case["index"]
    proof = merkle.inclusion_proof(index, size, LONG)
    assert len(proof) == case["length"]
    assert merkle.verify_inclusion(
        index=index,
        size=size,
        leaf_hash=merkle.leaf_hash(LONG[index]),
        proof=proof,
        root=merkle.root(LONG[:size]),
    )


@pytest.mark.parametrize("case", VECTORS["consistency_proof_lengths"], ids=str)
def test_consistency_proof_shapes_from_proof_test(case):
    old, new = case["old_size"], case["new_size"]
    proof = merkle.consistency_proof(old, new, LONG)
    assert len(proof) == case["length"]
    assert merkle.verify_consistency(
        old_size=old,
        new_size=new,
        old_root=merkle.root(LONG[:old]),
        new_root=merkle.root(LONG[:new]),
        proof=proof,
    )


@pytest.mark.parametrize("case", VECTORS["inclusion_proof_errors"], ids=str)
def test_inclusion_proof_refuses_bad_parameters(case):
    with pytest.raises(ValueError):
        merkle.inclusion_proof(case["index"], case["size"], LONG)


@pytest.mark.parametrize("case", VECTORS["consistency_proof_errors"], ids=str)
def test_consistency_proof_refuses_bad_parameters(case):
    with pytest.raises(ValueError):
        merkle.consistency_proof(case["old_size"], case["new_size"], LONG)


# -- the probe files of transparency-dev/merkle testdata/ -----------------------------------


def _probes(kind):
    files = sorted((PROBES / kind).rglob("*.json"))
    assert files, f"no {kind} probe files under {PROBES}"
    return [pytest.param(json.loads(f.read_text()), id=str(f.relative_to(PROBES))) for f in files]


def _check_inclusion(p):
    return merkle.verify_inclusion(
        index=p["leafIdx"],
        size=p["treeSize"],
        leaf_hash=b64(p["leafHash"]),
        proof=[b64(x) for x in p["proof"] or []],
        root=b64(p["root"]),
    )


def _check_consistency(p):
    return merkle.verify_consistency(
        old_size=p["size1"],
        new_size=p["size2"],
        old_root=b64(p["root1"]),
        new_root=b64(p["root2"]),
        proof=[b64(x) for x in p["proof"] or []],
    )


@pytest.mark.parametrize("probe", _probes("inclusion"))
def test_inclusion_probe_files(probe):
    assert _check_inclusion(probe) is not probe["wantErr"]


@pytest.mark.parametrize("probe", _probes("consistency"))
def test_consistency_probe_files(probe):
    assert _check_consistency(probe) is not probe["wantErr"]


def _corrupted_inclusion(index, size, proof, root, leaf):
    """cmd/proofgen's invalidInclusionProof, in Python."""
    probes = [
        (index - 1, size, root, leaf, proof),
        (index + 1, size, root, leaf, proof),
        (index ^ 2, size, root, leaf, proof),
        (index, size * 2, root, leaf, proof),
        (index, size // 2, root, leaf, proof),
        (index, size, root, b"WrongLeaf", proof),
        (index, size, merkle.EMPTY_ROOT, leaf, proof),
        (index, size, SOME_HASH, leaf, proof),
        (index, size, root, leaf, [*proof, b""]),
        (index, size, root, leaf, [*proof, root]),
        (index, size, root, leaf, [b"", *proof]),
        (index, size, root, leaf, [root, *proof]),
    ]
    for i in range(len(proof)):
        wrong = list(proof)
        wrong[i] = bytes([wrong[i][0] ^ 8]) + wrong[i][1:]
        probes.append((index, size, root, leaf, wrong))
    if proof:
        probes.append((index, size, root, leaf, proof[:-1]))
    if len(proof) > 1:
        probes.append((index, size, root, leaf, [proof[0], SOME_HASH, *proof[1:]]))
    return probes


def _corrupted_consistency(old, new, old_root, new_root, proof):
    """cmd/proofgen's invalidConsistencyProof, in Python."""
    probes = [
        (old - 1, new, old_root, new_root, proof),
        (old + 1, new, old_root, new_root, proof),
        (old ^ 2, new, old_root, new_root, proof),
        (old, new * 2, old_root, new_root, proof),
        (old, new // 2, old_root, new_root, proof),
        (old, new, b"WrongRoot", new_root, proof),
        (old, new, old_root, b"WrongRoot", proof),
        (old, new, new_root, old_root, proof),
        (old, new, old_root, new_root, []),
        (old, new, old_root, new_root, [*proof, b""]),
        (old, new, old_root, new_root, [*proof, old_root]),
        (old, new, old_root, new_root, [*proof, new_root]),
        (old, new, old_root, new_root, [b"", *proof]),
        (old, new, old_root, new_root, [old_root, *proof]),
        (old, new, old_root, new_root, [new_root, *proof]),
        (old, new, old_root, new_root, [proof[0], *proof]),
        (old, new, old_root, new_root, proof[:-1]),
    ]
    for i in range(len(proof)):
        wrong = list(proof)
        wrong[i] = bytes([wrong[i][0] ^ 16]) + wrong[i][1:]
        probes.append((old, new, old_root, new_root, wrong))
    return probes


@pytest.mark.parametrize(
    "case", VECTORS["inclusion_proofs"], ids=lambda c: f"{c['index']}:{c['size']}"
)
def test_corrupted_inclusion_proofs_fail(case):
    index, size = case["index"], case["size"]
    leaf = merkle.leaf_hash(LEAVES[index])
    for i, s, root, lh, proof in _corrupted_inclusion(
        index, size, hexes(case["proof"]), ROOTS[size], leaf
    ):
        assert not merkle.verify_inclusion(index=i, size=s, leaf_hash=lh, proof=proof, root=root)


@pytest.mark.parametrize(
    "case",
    [c for c in VECTORS["consistency_proofs"] if c["proof"]],
    ids=lambda c: f"{c['old_size']}:{c['new_size']}",
)
def test_corrupted_consistency_proofs_fail(case):
    old, new = case["old_size"], case["new_size"]
    for o, n, r1, r2, proof in _corrupted_consistency(
        old, new, ROOTS[old], ROOTS[new], hexes(case["proof"])
    ):
        assert not merkle.verify_consistency(
            old_size=o, new_size=n, old_root=r1, new_root=r2, proof=proof
        )


# -- properties ------------------------------------------------------------------------------


def reference_root(leaves):
    """RFC 6962 MTH written straight from the definition, recursively."""
    if not leaves:
        return hashlib.sha256(b"").digest()
    if len(leaves) == 1:
        return hashlib.sha256(b"\x00" + leaves[0]).digest()
    k = 1 << ((len(leaves) - 1).bit_length() - 1)
    return hashlib.sha256(
        b"\x01" + reference_root(leaves[:k]) + reference_root(leaves[k:])
    ).digest()


leaf_lists = st.lists(st.binary(max_size=12), min_size=1, max_size=70)


def _flip(proof, data):
    i = data.draw(st.integers(0, len(proof) - 1))
    byte = data.draw(st.integers(0, 31))
    bit = data.draw(st.integers(0, 7))
    tampered = [bytearray(p) for p in proof]
    tampered[i][byte] ^= 1 << bit
    return [bytes(p) for p in tampered]


@settings(max_examples=150, deadline=None, database=None)
@given(leaves=leaf_lists)
def test_root_equals_the_recursive_definition(leaves):
    assert merkle.root(leaves) == reference_root(leaves)
    builder = merkle.TreeBuilder()
    for n, leaf in enumerate(leaves, start=1):
        builder.append(merkle.leaf_hash(leaf))
        assert builder.root() == reference_root(leaves[:n])


@settings(max_examples=200, deadline=None, database=None)
@given(leaves=leaf_lists, data=st.data())
def test_inclusion_proofs_verify_and_tampered_ones_do_not(leaves, data):
    size = data.draw(st.integers(1, len(leaves)))
    index = data.draw(st.integers(0, size - 1))
    root = merkle.root(leaves[:size])
    leaf = merkle.leaf_hash(leaves[index])
    proof = merkle.inclusion_proof(index, size, leaves)
    assert merkle.verify_inclusion(index=index, size=size, leaf_hash=leaf, proof=proof, root=root)
    if proof:
        assert not merkle.verify_inclusion(
            index=index, size=size, leaf_hash=leaf, proof=_flip(proof, data), root=root
        )
        assert not merkle.verify_inclusion(
            index=index, size=size, leaf_hash=leaf, proof=proof[:-1], root=root
        )
    other = data.draw(st.integers(0, size - 1))
    if leaves[other] != leaves[index]:
        assert not merkle.verify_inclusion(
            index=index,
            size=size,
            leaf_hash=merkle.leaf_hash(leaves[other]),
            proof=proof,
            root=root,
        )
    assert not merkle.verify_inclusion(
        index=index, size=size, leaf_hash=leaf, proof=[*proof, SOME_HASH], root=root
    )


@settings(max_examples=200, deadline=None, database=None)
@given(leaves=leaf_lists, data=st.data())
def test_consistency_proofs_verify_and_tampered_ones_do_not(leaves, data):
    new = data.draw(st.integers(1, len(leaves)))
    old = data.draw(st.integers(1, new))
    old_root, new_root = merkle.root(leaves[:old]), merkle.root(leaves[:new])
    proof = merkle.consistency_proof(old, new, leaves)
    assert merkle.verify_consistency(
        old_size=old, new_size=new, old_root=old_root, new_root=new_root, proof=proof
    )
    if proof:
        assert not merkle.verify_consistency(
            old_size=old,
            new_size=new,
            old_root=old_root,
            new_root=new_root,
            proof=_flip(proof, data),
        )
        assert not merkle.verify_consistency(
            old_size=old, new_size=new, old_root=old_root, new_root=new_root, proof=proof[:-1]
        )
    if old < new and old_root != new_root:
        assert not merkle.verify_consistency(
            old_size=old, new_size=new, old_root=new_root, new_root=old_root, proof=proof
        )
    # A rewritten history: change one of the old leaves.
    i = data.draw(st.integers(0, old - 1))
    forged = list(leaves[:new])
    forged[i] = forged[i] + b"!"
    assert not merkle.verify_consistency(
        old_size=old,
        new_size=new,
        old_root=old_root,
        new_root=merkle.root(forged),
        proof=merkle.consistency_proof(old, new, forged),
    )


def test_large_trees_are_linear():
    hashes = [merkle.leaf_hash(b"%d" % i) for i in range(100_000)]
    root = merkle.root_from_hashes(hashes)
    proof = merkle.inclusion_proof_from_hashes(65_432, len(hashes), hashes)
    assert merkle.verify_inclusion(
        index=65_432, size=len(hashes), leaf_hash=hashes[65_432], proof=proof, root=root
    )
    proof = merkle.consistency_proof_from_hashes(77_777, len(hashes), hashes)
    assert merkle.verify_consistency(
        old_size=77_777,
        new_size=len(hashes),
        old_root=merkle.root_from_hashes(hashes[:77_777]),
        new_root=root,
        proof=proof,
    )
