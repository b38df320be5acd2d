import stat

import pytest
from pydantic import ValidationError

from hub.errors import ConfigurationError
from hub.keys import load_keys
from hub.settings import Settings


def test_production_refuses_to_start_without_keys(tmp_path):
    with pytest.raises(ValidationError) as info:
        Settings(
            _env_file=None,
            mode="production",
            instance_path=tmp_path,
            database_url="postgresql://x/y",
        )
    message = str(info.value)
    for name in ("HUB_TOKEN_SIGNING_KEY", "HUB_AUDIT_SIGNING_KEY", "HUB_PSEUDONYM_MASTER_KEY"):
        assert name in message


def test_production_needs_a_database_url(tmp_path, test_keys):
    with pytest.raises(ValidationError, match="HUB_DATABASE_URL"):
        Settings(_env_file=None, mode="production", instance_path=tmp_path, **test_keys)


def test_demo_generates_keys_once_with_private_modes(tmp_path):
    settings = Settings(_env_file=None, instance_path=tmp_path)
    first = load_keys(settings)
    files = sorted((tmp_path / "keys").iterdir())
    assert [f.name for f in files] == [
        "audit-signing.pem",
        "pseudonym-master.key",
        "token-signing.pem",
    ]
    for f in files:
        assert stat.S_IMODE(f.stat().st_mode) == 0o600
    again = load_keys(settings)
    assert again.pseudonym_master_key == first.pseudonym_master_key
    assert "redacted" in repr(first)


def test_a_bad_key_is_named(tmp_path, test_keys):
    settings = Settings(
        _env_file=None, instance_path=tmp_path, **{**test_keys, "token_signing_key": "nonsense"}
    )
    with pytest.raises(ConfigurationError, match="HUB_TOKEN_SIGNING_KEY"):
        load_keys(settings)


def test_short_master_key_is_refused(tmp_path, test_keys):
    settings = Settings(
        _env_file=None, instance_path=tmp_path, **{**test_keys, "pseudonym_master_key": "00ff"}
    )
    with pytest.raises(ConfigurationError, match="32 bytes"):
        load_keys(settings)
