"""The hub's three secrets: the token signing key, the audit signing key and the
pseudonymisation master key. The key that seals providers' record references at rest
(`Keys.record_reference_key`) is derived from the master key with HKDF-SHA256 under a label
of its own, so it needs no setting and is never a linkage domain's key.

They come from the environment (PEM or hex text) or from files. In demo mode a missing key is
generated once into `instance/` with mode 0600 and reused on the next start; production mode
refuses to start without them (Settings checks that before we get here).
"""

from __future__ import annotations

import os
import secrets
from dataclasses import dataclass
from pathlib import Path

from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ed25519, rsa
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from hub.errors import ConfigurationError
from hub.settings import Settings


@dataclass(frozen=True)
class Keys:
    token_signing_key: rsa.RSAPrivateKey
    audit_signing_key: ed25519.Ed25519PrivateKey
    pseudonym_master_key: bytes = b""

    def __repr__(self) -> str:  # never print key material
        return "Keys(<redacted>)"

    @property
    def record_reference_key(self) -> bytes:
        """The AES-256-GCM key sealing record references (hub/store/references.py)."""
        return HKDF(
            algorithm=hashes.SHA256(),
            length=32,
            salt=b"hub record references",
            info=b"hub/record-references/v1",
        ).derive(self.pseudonym_master_key)


def _write_secret(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as handle:
        handle.write(data)


def _pem_bytes(name: str, text: str | None, path: Path | None) -> bytes | None:
    if text:
        return text.encode()
    if path:
        try:
            return path.read_bytes()
        except OSError as exc:
            raise ConfigurationError(f"{name}_FILE: cannot read {path}: {exc.strerror}") from exc
    return None


def _load_private_key(name: str, data: bytes, kind: type):
    try:
        key = serialization.load_pem_private_key(data, password=None)
    except (ValueError, TypeError) as exc:
        raise ConfigurationError(f"{name}: not a PEM private key without a password") from exc
    if not isinstance(key, kind):
        raise ConfigurationError(
            f"{name}: expected a {kind.__name__.removesuffix('PrivateKey')} key"
        )
    return key


def _generated(settings: Settings, filename: str, make) -> bytes:
    path = settings.instance_path / "keys" / filename
    if not path.exists():
        _write_secret(path, make())
    return path.read_bytes()


def _new_rsa() -> bytes:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    return key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )


def _new_ed25519() -> bytes:
    return ed25519.Ed25519PrivateKey.generate().private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )


def _master_key(settings: Settings) -> bytes:
    if settings.pseudonym_master_key:
        try:
            key = bytes.fromhex(settings.pseudonym_master_key)
        except ValueError as exc:
            raise ConfigurationError("HUB_PSEUDONYM_MASTER_KEY: expected hex text") from exc
    elif settings.pseudonym_master_key_file:
        key = _pem_bytes("HUB_PSEUDONYM_MASTER_KEY", None, settings.pseudonym_master_key_file)
    else:
        key = _generated(settings, "pseudonym-master.key", lambda: secrets.token_bytes(32))
    if len(key) < 32:
        raise ConfigurationError("HUB_PSEUDONYM_MASTER_KEY: needs at least 32 bytes")
    return key


def load_keys(settings: Settings) -> Keys:
    token_pem = _pem_bytes(
        "HUB_TOKEN_SIGNING_KEY", settings.token_signing_key, settings.token_signing_key_file
    ) or _generated(settings, "token-signing.pem", _new_rsa)
    audit_pem = _pem_bytes(
        "HUB_AUDIT_SIGNING_KEY", settings.audit_signing_key, settings.audit_signing_key_file
    ) or _generated(settings, "audit-signing.pem", _new_ed25519)
    return Keys(
        token_signing_key=_load_private_key("HUB_TOKEN_SIGNING_KEY", token_pem, rsa.RSAPrivateKey),
        audit_signing_key=_load_private_key(
            "HUB_AUDIT_SIGNING_KEY", audit_pem, ed25519.Ed25519PrivateKey
        ),
        pseudonym_master_key=_master_key(settings),
    )
