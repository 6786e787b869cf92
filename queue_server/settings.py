"""The queue server's settings: ``HALLQ_*`` environment variables over an optional TOML file.

Precedence, highest first: arguments given in code, environment (``HALLQ_DATABASE_URL`` …), the TOML
file named by ``HALLQ_CONFIG`` or passed to :func:`load_settings`, then the defaults below.

Secrets: one secret key file feeds every keyed use (ID hashes, token signatures, …) through
:meth:`Settings.derive_key`, so a hall rotates one file. A missing file is tolerated only in
development, where a fixed, well-known key is used and logged; anywhere else the settings refuse to
load (the FastAPI template's rule: no default secret in production).
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import os
from enum import StrEnum
from functools import lru_cache
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import Field, field_validator, model_validator
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
        "embedded",
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
    mqtt_shared: str = Field(
        "",
        pattern=r"^([a-z0-9][a-z0-9-]{0,39})?$",
        description="MQTT shared-subscription group the device requests and events are read through "
        "($share/{group}/...), so several server instances of one deployment split them; give every "
        'instance the same group (e.g. "hallq-server"); empty (default): one instance reads them all',
    )

    @field_validator("tz")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"unknown time zone {value!r}") from None
        return value

    @model_validator(mode="after")
    def _secret_outside_development(self) -> Settings:
        if self.environment is not Environment.DEVELOPMENT and self.secret_key_file is None:
            raise ValueError(
                f"secret_key_file (HALLQ_SECRET_KEY_FILE) is required in {self.environment.value}; "
                "the built-in development secret is refused"
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
        return hmac.new(self.secret_key(), f"hallq:{purpose}".encode(), hashlib.sha256).digest()


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


def load_settings(config_file: Path | None = None, **overrides: Any) -> Settings:
    """Settings from the environment over ``config_file`` (TOML; else ``$HALLQ_CONFIG`` if set)."""
    if config_file is None:
        return Settings(**overrides)

    class _FromFile(Settings):
        model_config = SettingsConfigDict(toml_file=config_file)

    return _FromFile(**overrides)
