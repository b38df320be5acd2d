"""`Keyring`: one HMAC key per linkage domain, derived from the pseudonymisation master key.

key_for(domain) = HKDF-SHA256(IKM = master key, salt = none (RFC 5869: a string of 32 zero
bytes), info = b"hub pseudonym v1|" + domain as UTF-8, L = 32). The info strings of two
different domains differ, so their keys (and so their pseudonyms) are unrelated; knowing one
domain's key tells nothing about another's or about the master key.
"""

from __future__ import annotations

from typing import NoReturn

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

INFO_PREFIX = b"hub pseudonym v1|"
KEY_LENGTH = 32
MASTER_KEY_MIN_LENGTH = 32


class Keyring:
    """Derives and caches the key of each linkage domain. Never shows key material."""

    __slots__ = ("__master_key", "__keys")

    def __init__(self, master_key: bytes) -> None:
        if not isinstance(master_key, bytes | bytearray):
            raise TypeError("Keyring: master_key must be bytes")
        if len(master_key) < MASTER_KEY_MIN_LENGTH:
            raise ValueError(f"Keyring: master_key needs at least {MASTER_KEY_MIN_LENGTH} bytes")
        self.__master_key = bytes(master_key)
        self.__keys: dict[str, bytes] = {}

    def key_for(self, domain: str) -> bytes:
        """The 32-byte HMAC key of linkage domain `domain` (an agreement's linkage domain)."""
        key = self.__keys.get(domain) if type(domain) is str else None
        if key is None:
            if type(domain) is not str or not domain.strip():
                raise ValueError("Keyring: a linkage domain is a non-empty string")
            key = HKDF(
                algorithm=hashes.SHA256(),
                length=KEY_LENGTH,
                salt=None,
                info=INFO_PREFIX + domain.encode("utf-8"),
            ).derive(self.__master_key)
            # Racing threads derive the same bytes; the first stored wins either way.
            key = self.__keys.setdefault(domain, key)
        return key

    def __repr__(self) -> str:
        return "Keyring(<redacted>)"

    __str__ = __repr__

    def __reduce__(self) -> NoReturn:
        # Pickling would write the master key wherever the pickle goes (a job queue, a cache).
        raise TypeError("a Keyring holds the master key and cannot be pickled")

    def __copy__(self) -> Keyring:
        return self

    def __deepcopy__(self, memo: dict) -> Keyring:
        return self
