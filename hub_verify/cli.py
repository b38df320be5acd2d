"""The `hub-verify` command: check a running hub's audit log from outside.

    hub-verify --url https://hub.example.org --key-file hub-audit.vkey \
        --checkpoint yesterday.note --index 42 --token "$TOKEN" --save today.note

1. fetch the hub's latest kept checkpoint (GET /api/v1/audit/checkpoint) and verify its
   signature with the key given out of band (--key / --key-file); without one, the key the
   hub itself serves is used, which only proves the hub is self-consistent (trust on first
   use);
2. with --checkpoint, verify the old note's signature too, then a consistency proof from its
   size to the current one (GET /api/v1/audit/proof/consistency);
3. with --index N, verify that event N is in the current tree (GET /api/v1/audit/proof/
   inclusion), hashing its leaf fetched from GET /api/v1/audit/events (which needs an
   `audit.read` token: --token), or a leaf hash you hold (--leaf-hash N:HEX);
4. with --save, keep the verified checkpoint for next time.

Exit status 0 when everything verified, 1 when anything did not (the reason is printed),
2 for a usage error.
"""

from __future__ import annotations

import argparse
import base64
import binascii
import json
import os
import sys
import tempfile
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path
from typing import Any

from hub_verify.notes import Checkpoint, InvalidNote, VerifierKey, open_checkpoint
from hub_verify.proofs import EMPTY_ROOT, leaf_hash, verify_consistency, verify_inclusion

API = "/api/v1/audit"
TIMEOUT = 30


class NotVerified(Exception):
    """Something did not verify, or could not be fetched to be verified."""


class Hub:
    """The few HTTP calls hub-verify makes (standard library only)."""

    def __init__(self, url: str, *, token: str | None = None) -> None:
        self.url = url.rstrip("/")
        self.token = token

    def get(self, path: str, query: dict[str, Any] | None = None, *, auth: bool = False) -> bytes:
        target = self.url + path + ("?" + urllib.parse.urlencode(query) if query else "")
        request = urllib.request.Request(target, headers={"Accept": "*/*"})  # noqa: S310
        if auth and self.token:
            request.add_header("Authorization", f"Bearer {self.token}")
        try:
            with urllib.request.urlopen(request, timeout=TIMEOUT) as response:  # noqa: S310
                return response.read()
        except urllib.error.HTTPError as exc:
            raise NotVerified(f"GET {path} answered {exc.code}: {_problem(exc)}") from exc
        except (urllib.error.URLError, OSError) as exc:
            reason = getattr(exc, "reason", exc)
            raise NotVerified(f"cannot reach {self.url}: {reason}") from exc

    def json(self, path: str, query: dict[str, Any] | None = None, *, auth: bool = False) -> Any:
        body = self.get(path, query, auth=auth)
        try:
            return json.loads(body)
        except ValueError as exc:
            raise NotVerified(f"GET {path} did not answer JSON") from exc


def _problem(exc: urllib.error.HTTPError) -> str:
    try:
        body = json.loads(exc.read())
        return str(body.get("detail") or body.get("title") or exc.reason)
    except (ValueError, AttributeError, OSError):
        return str(exc.reason)


def _hashes(values: Any, what: str) -> list[bytes]:
    try:
        if not isinstance(values, list):
            raise ValueError
        return [bytes.fromhex(v) for v in values]
    except (TypeError, ValueError) as exc:
        raise NotVerified(f"the {what} proof is not a list of hex hashes") from exc


class Report:
    """Prints one line per check, in the order they were made."""

    def __init__(self, out=None) -> None:
        self.out = out or sys.stdout

    def ok(self, what: str, text: str) -> None:
        print(f"  ok    {what:<12} {text}", file=self.out)

    def note(self, what: str, text: str) -> None:
        print(f"  note  {what:<12} {text}", file=self.out)


def _key(args: argparse.Namespace, hub: Hub, report: Report) -> VerifierKey:
    text = args.key
    if args.key_file:
        try:
            text = Path(args.key_file).read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            raise NotVerified(f"cannot read the key file {args.key_file}: {exc}") from exc
    if text:
        key = VerifierKey.parse(text)
        report.ok("key", f"{key.name}+{key.key_id.hex()} (given)")
        return key
    served = hub.json(f"{API}/public-key")
    key = VerifierKey.parse(str(served.get("verifier_key", "")))
    report.note(
        "key",
        f"{key.text} fetched from the hub itself: TRUST ON FIRST USE. This only shows the log "
        "is consistent with what this hub says now; pin this key (--key-file) and compare it "
        "with the one the hub's operators published.",
    )
    return key


def _current(hub: Hub, key: VerifierKey, report: Report) -> Checkpoint:
    note = hub.get(f"{API}/checkpoint").decode("utf-8", errors="replace")
    try:
        current = open_checkpoint(note, key)
    except InvalidNote as exc:
        raise NotVerified(f"the hub's current checkpoint does not verify: {exc}") from exc
    report.ok(
        "checkpoint",
        f"{current.origin}, size {current.size}, root {current.root.hex()}: signature verified",
    )
    return current


def _consistency(
    hub: Hub, key: VerifierKey, path: str, current: Checkpoint, report: Report
) -> None:
    try:
        text = Path(path).read_bytes().decode("utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise NotVerified(f"cannot read the saved checkpoint {path}: {exc}") from exc
    try:
        old = open_checkpoint(text, key)
    except InvalidNote as exc:
        raise NotVerified(
            f"the saved checkpoint {path} is not a checkpoint signed by this key: {exc}"
        ) from exc
    if old.size > current.size:
        raise NotVerified(
            f"the saved checkpoint {path} covers {old.size} events but the hub now signs only "
            f"{current.size}: the log was rolled back or forked"
        )
    proof: list[bytes] = []
    if 0 < old.size < current.size:
        answer = hub.json(f"{API}/proof/consistency", {"from": old.size, "to": current.size})
        if (answer.get("from"), answer.get("to")) != (old.size, current.size):
            raise NotVerified("the consistency proof is for other sizes than asked")
        proof = _hashes(answer.get("proof"), "consistency")
    if not verify_consistency(
        first=old.size,
        second=current.size,
        first_root=old.root,
        second_root=current.root,
        proof=proof,
    ):
        reason = (
            "the saved empty checkpoint's root is not SHA-256('')"
            if old.size == 0 and old.root != EMPTY_ROOT
            else "the log was rewritten or forked"
        )
        raise NotVerified(
            f"the current checkpoint (size {current.size}) is NOT consistent with the saved "
            f"checkpoint {path} (size {old.size}, root {old.root.hex()}): {reason}"
        )
    report.ok(
        "consistent",
        f"with {path} (size {old.size} -> {current.size}, proof of {len(proof)} hashes)",
    )


def _leaf_hash_of(hub: Hub, index: int) -> bytes:
    if not hub.token:
        raise NotVerified(
            f"event {index}: its leaf is served only with an audit.read token; pass --token "
            f"(or --token-file), or give its leaf hash with --leaf-hash {index}:HEX"
        )
    page = hub.json(f"{API}/events", {"from_index": index, "limit": 1}, auth=True)
    items = page.get("items") or []
    if not items or items[0].get("index") != index:
        raise NotVerified(
            f"event {index}: the hub did not return it to this token (an IG officer reads only "
            "the events of their organisation and its agreements); give its leaf hash with "
            f"--leaf-hash {index}:HEX"
        )
    try:
        leaf = base64.b64decode(items[0]["leaf"], validate=True)
        document = json.loads(leaf)
    except (KeyError, TypeError, ValueError, binascii.Error) as exc:
        raise NotVerified(f"event {index}: its leaf is not base64 canonical JSON") from exc
    if not isinstance(document, dict) or document.get("index") != index:
        raise NotVerified(f"event {index}: its leaf names another index")
    return leaf_hash(leaf)  # hashed here: the hub's own leaf_hash field is not trusted


def _inclusion(
    hub: Hub, index: int, given: bytes | None, current: Checkpoint, report: Report
) -> None:
    if index >= current.size:
        raise NotVerified(f"event {index} is not in the current checkpoint (size {current.size})")
    hashed = given if given is not None else _leaf_hash_of(hub, index)
    answer = hub.json(f"{API}/proof/inclusion", {"index": index, "size": current.size})
    if (answer.get("index"), answer.get("size")) != (index, current.size):
        raise NotVerified(f"event {index}: the inclusion proof is for another index or size")
    proof = _hashes(answer.get("proof"), "inclusion")
    if not verify_inclusion(
        index=index, size=current.size, leaf=hashed, proof=proof, root=current.root
    ):
        raise NotVerified(
            f"event {index} (leaf hash {hashed.hex()}) is NOT in the tree of the current "
            f"checkpoint (size {current.size}, root {current.root.hex()})"
        )
    source = "given" if given is not None else "of its leaf"
    report.ok(
        "inclusion",
        f"event {index} (leaf hash {source} {hashed.hex()}, proof of {len(proof)} hashes)",
    )


def _save(path: str, current: Checkpoint, report: Report) -> None:
    target = Path(path)
    try:
        fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.")
        with os.fdopen(fd, "w", encoding="utf-8", newline="") as handle:
            handle.write(current.note)
        os.replace(tmp, target)
    except OSError as exc:
        raise NotVerified(f"cannot save the checkpoint to {path}: {exc}") from exc
    report.ok("saved", f"the verified checkpoint (size {current.size}) to {path}")


def _leaf_hash_arg(text: str) -> tuple[int, bytes]:
    index, sep, hex_hash = text.partition(":")
    try:
        if not sep:
            raise ValueError
        value = (int(index), bytes.fromhex(hex_hash))
    except ValueError as exc:
        raise argparse.ArgumentTypeError("expected INDEX:HEX, e.g. 42:3f1a...") from exc
    if value[0] < 0 or len(value[1]) != 32:
        raise argparse.ArgumentTypeError("expected INDEX:HEX with a 64-digit SHA-256 hash")
    return value


def _non_negative(text: str) -> int:
    try:
        value = int(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError("expected an event index (0, 1, ...)") from exc
    if value < 0:
        raise argparse.ArgumentTypeError("expected an event index (0, 1, ...)")
    return value


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="hub-verify",
        description="Check a hub's audit log from outside: its signed checkpoint, consistency "
        "with a checkpoint saved earlier, and inclusion of events (RFC 6962 / RFC 9162).",
    )
    p.add_argument("--url", required=True, help="The hub's base URL, e.g. http://127.0.0.1:8000")
    keys = p.add_mutually_exclusive_group()
    keys.add_argument("--key", help="The hub's verifier key, <name>+<hex id>+<base64 key>.")
    keys.add_argument("--key-file", help="A file holding the verifier key.")
    p.add_argument("--checkpoint", help="A checkpoint note saved earlier (e.g. by --save).")
    p.add_argument(
        "--index",
        type=_non_negative,
        action="append",
        default=[],
        help="Verify that this event is in the log (repeatable); needs --token.",
    )
    p.add_argument(
        "--leaf-hash",
        type=_leaf_hash_arg,
        action="append",
        default=[],
        metavar="INDEX:HEX",
        help="Verify the inclusion of the leaf with this hash at INDEX (no token needed).",
    )
    tokens = p.add_mutually_exclusive_group()
    tokens.add_argument("--token", help="An access token with audit.read, to fetch leaves.")
    tokens.add_argument("--token-file", help="A file holding that token.")
    p.add_argument("--save", help="Write the verified current checkpoint to this file.")
    return p


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    token = args.token
    if args.token_file:
        try:
            token = Path(args.token_file).read_text(encoding="utf-8").strip()
        except (OSError, UnicodeDecodeError) as exc:
            print(f"hub-verify: cannot read the token file: {exc}", file=sys.stderr)
            return 1
    hub = Hub(args.url, token=token)
    report = Report()
    print(f"hub-verify: the audit log of {hub.url}")
    try:
        key = _key(args, hub, report)
        current = _current(hub, key, report)
        if args.checkpoint:
            _consistency(hub, key, args.checkpoint, current, report)
        given = dict(args.leaf_hash)
        for index in sorted(set(args.index) | set(given)):
            _inclusion(hub, index, given.get(index), current, report)
        if args.save:
            _save(args.save, current, report)
    except (NotVerified, InvalidNote) as exc:
        print(f"NOT VERIFIED: {exc}", file=sys.stderr)
        print("result: NOT verified")
        return 1
    print(f"result: verified (size {current.size}, root {current.root.hex()})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
