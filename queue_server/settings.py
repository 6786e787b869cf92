"""The queue server's settings: ``HALLQ_*`` environment variables over an optional TOML file.

Precedence, highest first: arguments given in code, environment (``HALLQ_DATABASE_URL`` …), the TOML
file named by ``HALLQ_CONFIG`` or passed to :func:`load_settings`, then the defaults below.

Secrets: one secret key file feeds every keyed use (ID hashes, token signatures, …) through
:meth:`Settings.derive_key`, so a hall rotates one file. A missing file is tolerated only in
development, where a fixed, well-known key is used and logged; anywhere else the settings refuse to
load (the FastAPI template's rule: no default secret in production). ``hallq server`` reads
:class:`ServerSettings` (production unless ``HALLQ_ENVIRONMENT`` says otherwise) and refuses to start
without a secret file in any environment; only ``hallq up`` runs as development.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import os
from enum import StrEnum
from functools import lru_cache
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import Field, field_validator, model_validator
from pydantic_core import PydanticCustomError
from pydantic_settings import (
    BaseSettings,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
    TomlConfigSettingsSource,
)

from queue_server.protocol.defaults import HALL_TZ_NAME

log = logging.getLogger(__name__)

# Known to everyone who reads this file: acceptable on a developer's laptop, nowhere else.
DEVELOPMENT_SECRET = b"hallq-development-secret-not-for-production"
MIN_SECRET_BYTES = 32
SECRET_MISSING = "secret_key_missing"  # noqa: S105 (an error type, not a password)
"""The pydantic error type of a missing secret file, so ``hallq server`` can tell it from the rest."""
EMBEDDED_BROKER = "embedded"


class Environment(StrEnum):
    DEVELOPMENT = "development"
    TEST = "test"
    PRODUCTION = "production"


class Settings(BaseSettings):
    """Everything the queue server reads at start; one object, handed to the factories."""

    model_config = SettingsConfigDict(
        env_prefix="HALLQ_", extra="forbid", frozen=True, validate_default=True, toml_file=None
    )

    environment: Environment = Field(
        Environment.DEVELOPMENT,
        description="development allows the built-in secret; test and production need a secret file",
    )
    database_url: str = Field(
        "sqlite:///./var/hallq.db",
        description="SQLAlchemy URL: sqlite:///path (default, WAL) or postgresql+psycopg://user@host/db",
    )
    broker_url: str = Field(
        EMBEDDED_BROKER,
        description='mqtt://host:port of the hall broker, or "embedded" to start one on 127.0.0.1',
    )
    hall: str = Field("demo", pattern=r"^[a-z0-9][a-z0-9-]{0,39}$", description="the default hall code")
    tz: str = Field(HALL_TZ_NAME, description="IANA time zone halls show times in")
    secret_key_file: Path | None = Field(
        None, description="file holding at least 32 random bytes; required outside development"
    )
    http_host: str = Field("127.0.0.1", description="address the HTTP API listens on")
    http_port: int = Field(8000, ge=1, le=65535)
    public_base_url: str = Field(
        "http://127.0.0.1:8000", description="base URL printed on tickets for the citizen page"
    )
    token_ttl_s: int = Field(12 * 3600, ge=60, description="lifetime of a staff sign-in token")
    instance: str = Field(
        "server-1",
        pattern=r"^[a-z0-9][a-z0-9-]{0,39}$",
        description="this instance's name: MQTT client id hallq-server-{instance}, its status topic",
    )
    db_connect_timeout_s: float = Field(
        5.0,
        gt=0,
        le=120,
        description="PostgreSQL: give up connecting after this long (the request answers 503)",
    )
    db_statement_timeout_s: float = Field(
        # Long enough for a year of statistics on a large hall; short enough that a partition answers.
        30.0,
        gt=0,
        le=600,
        description="PostgreSQL: a statement without an answer after this long is cancelled by the "
        "server and abandoned by the client (a network partition answers 503, no thread hangs)",
    )
    mqtt_shared: str = Field(
        "",
        pattern=r"^([a-z0-9][a-z0-9-]{0,39})?$",
        description="MQTT shared-subscription group the device requests and events are read through "
        "($share/{group}/...), so several server instances of one deployment split them; give every "
        'instance the same group (e.g. "hallq-server"); empty (default): one instance reads them all',
    )
    # The city-hosted topology (docs/city.md, "City-hosted topology"; queue_server/cluster/).
    leases: bool = Field(
        False,
        description="serve the halls whose leases this instance holds in the database (several "
        "instances share the halls, each hall served by one at a time, every write fenced); off "
        "(default): serve the hall of `hall`",
    )
    lease_ttl_s: float = Field(
        6.0,
        ge=1.0,
        le=120.0,
        description="a hall's lease lapses this long after its holder's last renewal (renewed every "
        "quarter of it), so a dead instance's halls move within ttl × 1.25",
    )
    # A hall appliance feeding its city (docs/city.md, "Hall appliance to city"; queue_server/city/).
    city_url: str | None = Field(
        None,
        pattern=r"^https?://",
        description="base URL of the city's hallq server (https://…): this server ships the hall's "
        "changes there; unset (default): no city link",
    )
    city_credential_file: Path | None = Field(
        None, description="file holding the hall's city credential (hallq city credential on the city)"
    )
    city_ca_file: Path | None = Field(
        None, description="the CA of the city's HTTPS certificate (default: system CAs)"
    )
    city_ship_interval_s: float = Field(
        5.0, gt=0, le=3600, description="how often an empty outbox is looked at again (the city view's lag)"
    )
    city_batch_size: int = Field(500, ge=1, le=5000, description="outbox rows per batch posted to the city")
    # Transport security (docs/security.md, "Transport: TLS, headers, limits").
    broker_ca_file: Path | None = Field(
        None, description="TLS to the broker: the CA of its certificate (mqtts://; default: system CAs)"
    )
    broker_cert_file: Path | None = Field(
        None, description="TLS to the broker: this server's client certificate (provisioning's server/)"
    )
    broker_key_file: Path | None = Field(None, description="TLS to the broker: the client certificate's key")
    http_cert_file: Path | None = Field(
        None, description="serve HTTPS with this certificate (PEM); unset: plain HTTP or TLS at a proxy"
    )
    http_key_file: Path | None = Field(None, description="the HTTPS certificate's private key")
    # Privacy and idempotency (docs/security.md, "Citizen tokens, privacy, idempotency").
    citizen_token_days: int = Field(
        60, ge=1, description="days after issue a ticket's citizen token (its QR code) keeps working"
    )
    personal_data_days: int = Field(
        30, ge=1, description="days after a visit (or appointment slot) its phone number and ID hash are kept"
    )
    notifier_url: str | None = Field(
        None,
        description="appointment reminders: none = the log and the reminder table (a hall without "
        "Internet); http(s)://… = an SMS gateway's JSON endpoint; "
        "smtp://host[:port]?from=…&domain=… = an e-mail-to-SMS gateway",
    )
    material_image_days: int = Field(
        30, ge=1, description="days a page captured at the kiosk (高拍仪) is kept after its upload"
    )
    material_image_max_bytes: int = Field(
        1_000_000,
        ge=10_000,
        le=10_000_000,
        description="largest page the kiosk may upload (bytes); a bigger body is refused (413) unread",
    )
    request_log_days: int = Field(
        7, ge=1, description="idempotency window: days a request id's stored reply is kept, then deleted"
    )
    # Accounts and rights (docs/security.md, "Accounts, sign-in and rights").
    login_failures_per_login: int = Field(
        5, ge=1, description="failed sign-ins of one login within login_lockout_s before 429"
    )
    login_failures_per_address: int = Field(
        20, ge=1, description="failed sign-ins from one address within login_lockout_s before 429"
    )
    login_lockout_s: int = Field(
        300, ge=1, description="the window failed sign-ins are counted in, and the longest wait"
    )
    printer_addresses: list[str] = Field(
        default_factory=list,
        description='network printers a window may print to: "host:port", or "host" for any port; '
        "device paths /dev/usb/lp* and /dev/serial/by-id/* need no entry",
    )

    @field_validator("printer_addresses", mode="before")
    @classmethod
    def _addresses_from_text(cls, value: object) -> object:
        """A JSON list, as ``server.env`` writes it, also when passed as text (a config file's value)."""
        if isinstance(value, str):
            return json.loads(value) if value.strip() else []
        return value

    @field_validator("tz")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"unknown time zone {value!r}") from None
        return value

    @model_validator(mode="after")
    def _certificates_with_their_keys(self) -> Settings:
        for cert, key in (("broker_cert_file", "broker_key_file"), ("http_cert_file", "http_key_file")):
            if (getattr(self, cert) is None) != (getattr(self, key) is None):
                raise ValueError(f"{cert} and {key} go together")
        return self

    @model_validator(mode="after")
    def _city_url_with_its_credential(self) -> Settings:
        if self.city_url is not None and self.city_credential_file is None:
            raise ValueError("city_url needs city_credential_file (hallq city credential on the city)")
        return self

    @model_validator(mode="after")
    def _secret_outside_development(self) -> Settings:
        if self.environment is not Environment.DEVELOPMENT and self.secret_key_file is None:
            raise PydanticCustomError(
                SECRET_MISSING,
                "secret_key_file (HALLQ_SECRET_KEY_FILE) is required in {environment}; "
                "the built-in development secret is refused",
                {"environment": self.environment.value},
            )
        return self

    @model_validator(mode="after")
    def _no_anonymous_broker_in_production(self) -> Settings:
        # The embedded broker lets anyone on loopback publish as any device: fine for one developer's
        # machine, never for a hall, whose broker checks passwords and an ACL (hallq provision).
        if self.environment is Environment.PRODUCTION and self.broker_url == EMBEDDED_BROKER:
            raise ValueError(
                "broker_url: the embedded anonymous broker is refused in production; set "
                "HALLQ_BROKER_URL=mqtt://hallq-server:PASSWORD@HOST:PORT (hallq provision writes it)"
            )
        return self

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        toml_file = settings_cls.model_config.get("toml_file") or os.environ.get("HALLQ_CONFIG")
        sources: list[PydanticBaseSettingsSource] = [init_settings, env_settings]
        if toml_file:
            sources.append(TomlConfigSettingsSource(settings_cls, toml_file=toml_file))
        return tuple(sources)

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.tz)

    def secret_key(self) -> bytes:
        """The master secret; OSError/ValueError when the configured file is missing or too short."""
        return _read_secret(self.secret_key_file)

    def derive_key(self, purpose: str) -> bytes:
        """A key for one purpose ("token", "id-hash", …), so no two uses share key material."""
        return derive_key(self.secret_key(), purpose)


class ServerSettings(Settings):
    """``hallq server``'s settings: production unless the environment or the file says otherwise."""

    environment: Environment = Field(
        Environment.PRODUCTION,
        description="production by default for hallq server; development only for hallq up",
    )


def derive_key(secret: bytes, purpose: str) -> bytes:
    """HMAC-SHA256 of the purpose under the hall's secret (provisioning derives the ID-hash key so)."""
    return hmac.new(secret, f"hallq:{purpose}".encode(), hashlib.sha256).digest()


@lru_cache(maxsize=8)
def _read_secret(path: Path | None) -> bytes:
    # Cached: tokens are checked on every request, and the warning should appear once, not per call.
    if path is None:
        log.warning("using the built-in development secret: set HALLQ_SECRET_KEY_FILE for real halls")
        return DEVELOPMENT_SECRET
    key = path.read_bytes().strip()
    if len(key) < MIN_SECRET_BYTES:
        raise ValueError(f"{path}: the secret must be at least {MIN_SECRET_BYTES} bytes")
    return key


def load_settings(config_file: Path | None = None, *, server: bool = False, **overrides: Any) -> Settings:
    """Settings from the environment over ``config_file`` (TOML; else ``$HALLQ_CONFIG`` if set).

    ``server``: :class:`ServerSettings`, production unless told otherwise.
    """
    base = ServerSettings if server else Settings
    if config_file is None:
        return base(**overrides)
    from_file = type("_FromFile", (base,), {"model_config": SettingsConfigDict(toml_file=config_file)})
    settings: Settings = from_file(**overrides)
    return settings
