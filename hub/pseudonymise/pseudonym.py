"""Pseudonyms: HMAC-SHA256 over the kind and the canonical value, under the domain's key.

    pseudonym = hex(HMAC-SHA256(key_for(domain), UTF-8(kind + "\\x1f" + canonical)))

64 lower-case hex characters. The kind is inside the MAC, so an NHS number and a UPN that
happened to share a canonical text would still get different pseudonyms; the unit separator
cannot occur in a kind name. This format is fixed: changing it changes every pseudonym.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Iterable

from hub.pseudonymise.errors import InvalidIdentifier
from hub.pseudonymise.keyring import Keyring
from hub.pseudonymise.kinds import get_kind

SEPARATOR = "\x1f"

_BLOCK = 64  # SHA-256 block size
_IPAD = bytes(x ^ 0x36 for x in range(256))
_OPAD = bytes(x ^ 0x5C for x in range(256))


def _message(kind: str, canonical: str) -> bytes:
    return (kind + SEPARATOR + canonical).encode("utf-8")


def pseudonym(*, kind: str, value: str, domain: str, keyring: Keyring) -> str:
    """The pseudonym of `value` as an identifier of `kind` in linkage domain `domain`.

    Raises InvalidIdentifier (which never holds the value) if `value` is not valid.
    """
    identifier_kind = get_kind(kind)
    canonical = identifier_kind.normalise(value)
    key = keyring.key_for(domain)
    return hmac.new(key, _message(identifier_kind.name, canonical), hashlib.sha256).hexdigest()


def _hmac_states(key: bytes, prefix: bytes):
    """SHA-256 states after the HMAC inner pad plus `prefix`, and after the outer pad (RFC 2104).

    Copying these two states per value skips the key schedule that `hmac.new` and
    `hmac.digest` redo on every call: about two and a half times faster.
    """
    if len(key) > _BLOCK:
        key = hashlib.sha256(key).digest()
    key = key.ljust(_BLOCK, b"\0")
    inner = hashlib.sha256(key.translate(_IPAD))
    inner.update(prefix)
    outer = hashlib.sha256(key.translate(_OPAD))
    return inner, outer


def pseudonymise_many(
    *,
    kind: str,
    values: Iterable[str | None],
    domain: str,
    keyring: Keyring,
) -> tuple[list[str | None], list[tuple[int, InvalidIdentifier]]]:
    """Pseudonyms for a column of values, in order; the same result as `pseudonym` per value.

    None, "" and whitespace-only values give None. An invalid value gives None in the output
    and `(position, InvalidIdentifier)` in the second list, where position is the 0-based
    index in `values`: the caller turns it into a row number. Errors never carry the value.
    A value that is not text (say a float NaN from pandas) is reported as `not_text`; callers
    should map their missing-value markers to None first.
    """
    identifier_kind = get_kind(kind)
    normalise = identifier_kind.normalise
    inner, outer = _hmac_states(
        keyring.key_for(domain), (identifier_kind.name + SEPARATOR).encode("utf-8")
    )
    inner_copy = inner.copy
    outer_copy = outer.copy

    results: list[str | None] = []
    errors: list[tuple[int, InvalidIdentifier]] = []
    append = results.append
    # Rows of one person often come together: a repeat of the previous value reuses its
    # pseudonym. (A dict of every value seen was tried and dropped: on a column of distinct
    # values its lookups and growth cost more than the HMAC they save.)
    previous_value: str | None = None
    previous_result: str | None = None
    for position, value in enumerate(values):
        if value is None:
            append(None)
            continue
        if type(value) is str and value == previous_value:
            append(previous_result)
            continue
        try:
            canonical = normalise(value)
        except InvalidIdentifier as error:
            append(None)
            if type(value) is str and (not value or value.isspace()):
                continue  # missing, not invalid
            # Drop the traceback: its frames hold the raw value as a local variable, and a
            # report kept for later (or an error tracker that records locals) must not.
            errors.append((position, error.with_traceback(None)))
            continue
        h = inner_copy()
        h.update(canonical.encode())
        o = outer_copy()
        o.update(h.digest())
        previous_result = o.hexdigest()
        previous_value = value
        append(previous_result)
    return results, errors


def keyed_digests(*, key: bytes, prefix: bytes, values: Iterable[str | None]) -> list[str | None]:
    """hex(HMAC-SHA256(key, prefix + UTF-8(value))) per value, None for None, "" and
    whitespace-only values: `hmac.new(key, prefix + v, sha256).hexdigest()` with the key
    schedule done once (`_hmac_states`)."""
    inner, outer = _hmac_states(key, prefix)
    inner_copy = inner.copy
    outer_copy = outer.copy
    out: list[str | None] = []
    append = out.append
    for value in values:
        if value is None or not value.strip():
            append(None)
            continue
        h = inner_copy()
        h.update(value.encode())
        o = outer_copy()
        o.update(h.digest())
        append(o.hexdigest())
    return out
