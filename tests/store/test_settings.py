"""Settings: environment over TOML over defaults; no default secret outside development."""

from __future__ import annotations

from pathlib import Path

import pytest
from pydantic import ValidationError

from queue_server.settings import DEVELOPMENT_SECRET, Environment, derive_key, load_settings


def test_environment_wins_over_the_toml_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    config = tmp_path / "hallq.toml"
    config.write_text('hall = "gy"\nhttp_port = 9000\ntz = "Asia/Urumqi"\n')
    monkeypatch.setenv("HALLQ_HTTP_PORT", "9100")
    settings = load_settings(config)
    assert (settings.hall, settings.http_port, settings.tz) == ("gy", 9100, "Asia/Urumqi")
    assert load_settings(config, hall="xa").hall == "xa"


def test_a_real_secret_is_required_outside_development(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("HALLQ_SECRET_KEY_FILE", raising=False)
    assert load_settings(environment="development").secret_key() == DEVELOPMENT_SECRET
    with pytest.raises(ValidationError, match="secret_key_file"):
        load_settings(environment="production")
    secret = tmp_path / "secret"
    secret.write_bytes(b"x" * 40)
    production = load_settings(
        environment=Environment.PRODUCTION, secret_key_file=secret, broker_url="mqtt://broker:1883"
    )
    assert production.derive_key("token") != production.derive_key("id-hash")
    short = tmp_path / "short"
    short.write_bytes(b"tiny")
    with pytest.raises(ValueError, match="at least 32 bytes"):
        load_settings(environment="test", secret_key_file=short).secret_key()
    with pytest.raises(ValidationError):
        load_settings(tz="Mars/Olympus")


def test_the_server_settings_are_production_unless_told_otherwise(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name in ("HALLQ_ENVIRONMENT", "HALLQ_SECRET_KEY_FILE", "HALLQ_BROKER_URL", "HALLQ_CONFIG"):
        monkeypatch.delenv(name, raising=False)
    secret = tmp_path / "secret"
    secret.write_text("ab" * 32)
    with pytest.raises(ValidationError, match="HALLQ_SECRET_KEY_FILE"):
        load_settings(server=True)
    # Production refuses the embedded anonymous broker …
    with pytest.raises(ValidationError, match="embedded anonymous broker"):
        load_settings(server=True, secret_key_file=secret)
    server = load_settings(server=True, secret_key_file=secret, broker_url="mqtt://h:1")
    assert server.environment is Environment.PRODUCTION
    # … and the environment (or the TOML file) may still say otherwise.
    monkeypatch.setenv("HALLQ_ENVIRONMENT", "development")
    assert load_settings(server=True).environment is Environment.DEVELOPMENT
    config = tmp_path / "hallq.toml"
    config.write_text('environment = "test"\n')
    monkeypatch.delenv("HALLQ_ENVIRONMENT")
    assert load_settings(config, server=True, secret_key_file=secret).environment is Environment.TEST


def test_derived_keys_are_the_settings_keys(tmp_path: Path) -> None:
    secret = tmp_path / "secret"
    secret.write_text("cd" * 32)
    settings = load_settings(environment="production", secret_key_file=secret, broker_url="mqtt://h:1")
    assert settings.derive_key("id-hash") == derive_key(("cd" * 32).encode(), "id-hash")
