"""One Settings object, read from HUB_* environment variables and validated at start.

Tests build `Settings(...)` with overrides and pass it to `create_app`; nothing reads
`os.environ` after this module has built the object.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any, Literal

from pydantic import AwareDatetime, Field, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

PROJECT_ROOT = Path(__file__).resolve().parent.parent
OIDC_SECRET_PREFIX = "HUB_OIDC_SECRET_"  # noqa: S105 - a variable name, not a secret


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="HUB_", extra="forbid", frozen=True)

    # `demo` generates missing keys into instance/; `production` refuses to start without them.
    mode: Literal["demo", "production"] = "demo"
    instance_path: Path = PROJECT_ROOT / "instance"
    database_url: str | None = None
    host: str = "127.0.0.1"
    port: int = 8000
    # Pins the hub's clock (hub/clock.py) for tests and demos: it reads HUB_CLOCK_START when
    # the real time is HUB_CLOCK_STARTED_AT (default: when the process starts) and runs on.
    clock_start: AwareDatetime | None = None
    clock_started_at: AwareDatetime | None = None

    policies_dir: Path = PROJECT_ROOT / "policies"
    contracts_dir: Path = PROJECT_ROOT / "contracts"
    # Reference data no partner sends: lsoa-centroids.csv, the LSOA points maps draw.
    reference_dir: Path = PROJECT_ROOT / "reference"

    # OAuth / tokens. The issuer defaults to the served address.
    issuer: str | None = None
    audience: str = "hub-api"
    access_token_ttl_seconds: int = Field(default=900, ge=30, le=86400)
    # PEM text or a path to a PEM file (RSA private key, RS256).
    token_signing_key: str | None = None
    token_signing_key_file: Path | None = None

    # Audit log: Ed25519 private key, PEM text or file.
    audit_signing_key: str | None = None
    audit_signing_key_file: Path | None = None
    audit_origin: str | None = None
    # The hub signs and keeps a checkpoint every N events, or when the last one is M seconds
    # old and the log grew since (a background thread of `hub serve` sees to quiet hubs).
    checkpoint_every_events: int = Field(default=1000, ge=1)
    checkpoint_every_seconds: int = Field(default=300, ge=1)

    # Pseudonymisation master key: at least 32 bytes, hex text or a file holding raw bytes.
    pseudonym_master_key: str | None = None
    pseudonym_master_key_file: Path | None = None

    redis_url: str | None = None
    # The RQ queue `hub worker` processes read uploads from (with HUB_REDIS_URL).
    ingest_queue: str = Field(default="hub-ingest", pattern=r"^[A-Za-z0-9_.:-]{1,100}$")
    # Where uploads are spooled before processing. Workers on other machines need the same
    # folder (a shared volume) when HUB_REDIS_URL spreads jobs across machines.
    spool_dir: Path | None = None
    max_upload_bytes: int = Field(default=2 * 1024**3, gt=0)
    # Every other request body (JSON, forms): larger ones are refused with 413 unread.
    max_json_bytes: int = Field(default=1024**2, gt=0, le=64 * 1024**2)
    # A body must keep coming: the hub stops reading one (408) that has not arrived
    # HUB_BODY_TIMEOUT_SECONDS after it began, plus one second per HUB_BODY_MIN_RATE bytes
    # received (Apache mod_reqtimeout's rule), or that stalls that long between two reads.
    body_timeout_seconds: float = Field(default=20.0, gt=0, le=3600)
    body_min_rate: int = Field(default=500, ge=1)
    # How many requests may read a body at once in one serving process (the rest get 503
    # with Retry-After), so that slow senders never hold every thread. 0: `hub serve` sets
    # it to its threads less two.
    body_readers: int = Field(default=0, ge=0, le=1024)
    # The spool keeps this much disk free: an upload that would eat into it is refused
    # with 507, as a full disk is.
    spool_reserve_bytes: int = Field(default=64 * 1024**2, ge=0)
    # A partial spool file (`*.part`, or a spooled file no upload claimed) untouched this
    # long is left from a transfer that died with its process: swept at start and with the
    # upload recovery (every 30 s).
    spool_stale_seconds: int = Field(default=600, ge=1)
    # Worker threads in the server process when no HUB_REDIS_URL is set.
    ingest_threads: int = Field(default=2, ge=1, le=32)
    # How often each serving process runs the retention job (hub/retention); 0 turns it off.
    # Webhooks to recipients (hub/notify): targets in private address ranges are refused
    # (SSRF) unless this is set; loopback http:// is allowed in demo mode only.
    webhook_allow_private: bool = False
    # How often each serving process looks for webhook deliveries that are due (0: never).
    webhook_interval_seconds: float = Field(default=5.0, ge=0, le=3600)
    retention_interval_seconds: int = Field(default=3600, ge=0, le=7 * 24 * 3600)
    # How long an approved re-identification may be fetched, from its second approval.
    reidentification_ttl_seconds: int = Field(default=72 * 3600, ge=60, le=30 * 24 * 3600)

    # Abuse (issue 11). Requests without a verified caller recorded one by one per minute and
    # process; past that they are counted in one event a minute (hub/audit/unauthenticated).
    audit_unauthenticated_events_per_minute: int = Field(default=120, ge=0, le=100_000)
    # Rate limits (RFC 6585 429 with Retry-After), in the `limits` notation ("10/minute",
    # "100 per hour"; several separated by ";"). Shared across processes through Redis when
    # HUB_REDIS_URL is set, else kept in each process.
    rate_limit_failed_token_per_client: str = "10/minute"  # noqa: S105 - not a secret
    rate_limit_failed_token_per_address: str = "30/minute"  # noqa: S105 - not a secret
    rate_limit_failed_auth_per_address: str = "60/minute"
    rate_limit_anonymous_per_address: str = "300/minute"
    rate_limit_enabled: bool = True

    @field_validator(
        "rate_limit_failed_token_per_client",
        "rate_limit_failed_token_per_address",
        "rate_limit_failed_auth_per_address",
        "rate_limit_anonymous_per_address",
    )
    @classmethod
    def _rate_limit(cls, value: str) -> str:
        from limits import parse_many

        try:
            parse_many(value)
        except ValueError as exc:
            raise ValueError(
                f"{value!r} is not a rate limit: write e.g. '10/minute' or '100 per hour'"
            ) from exc
        return value

    # People's sessions on the pages (server-side): ended after this long without a request,
    # and this long after sign-in whatever happens. Sign-out ends one at once.
    session_idle_seconds: int = Field(default=30 * 60, ge=60, le=24 * 3600)
    session_absolute_seconds: int = Field(default=10 * 3600, ge=300, le=7 * 24 * 3600)
    # The secrets of the hub's clients at the partners' OpenID Providers, by the variable that
    # policies/partners.yaml names (`client_secret_env`, HUB_OIDC_SECRET_<NAME>): read from
    # the environment when the settings are built, so that a test can pass them instead.
    oidc_client_secrets: dict[str, str] = Field(default_factory=dict)

    @model_validator(mode="before")
    @classmethod
    def _oidc_secrets_from_environment(cls, data: Any) -> Any:
        if isinstance(data, dict) and "oidc_client_secrets" not in data:
            found = {k: v for k, v in os.environ.items() if k.startswith(OIDC_SECRET_PREFIX)}
            if found:
                data = {**data, "oidc_client_secrets": found}
        return data

    @model_validator(mode="after")
    def _check(self) -> Settings:
        if self.mode == "production":
            missing = [
                name
                for name, text, path in (
                    ("HUB_TOKEN_SIGNING_KEY", self.token_signing_key, self.token_signing_key_file),
                    ("HUB_AUDIT_SIGNING_KEY", self.audit_signing_key, self.audit_signing_key_file),
                    (
                        "HUB_PSEUDONYM_MASTER_KEY",
                        self.pseudonym_master_key,
                        self.pseudonym_master_key_file,
                    ),
                )
                if not text and not path
            ]
            if missing:
                raise ValueError(
                    "production mode needs its keys: set "
                    + ", ".join(f"{m} (or {m}_FILE)" for m in missing)
                )
            if not self.database_url:
                raise ValueError("production mode needs HUB_DATABASE_URL (a PostgreSQL URL)")
        return self

    @property
    def effective_database_url(self) -> str:
        if self.database_url:
            return self.database_url
        return f"sqlite:///{self.instance_path / 'hub.sqlite3'}"

    @property
    def effective_spool_dir(self) -> Path:
        return self.spool_dir or self.instance_path / "spool"

    @property
    def effective_issuer(self) -> str:
        return (self.issuer or f"http://{self.host}:{self.port}").rstrip("/")

    @property
    def effective_audit_origin(self) -> str:
        if self.audit_origin:
            return self.audit_origin
        return self.effective_issuer.split("://", 1)[-1] + "/audit"
