"""Settings: environment over TOML over defaults; no default secret outside development."""

from __future__ import annotations

from pathlib import Path

import pytest
from pydantic import ValidationError

from queue_server.settings import DEVELOPMENT_SECRET, Environment, load_settings


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
    production = load_settings(environment=Environment.PRODUCTION, secret_key_file=secret)
    assert production.derive_key("token") != production.derive_key("id-hash")
    short = tmp_path / "short"
    short.write_bytes(b"tiny")
    with pytest.raises(ValueError, match="at least 32 bytes"):
        load_settings(environment="production", secret_key_file=short).secret_key()
    with pytest.raises(ValidationError):
        load_settings(tz="Mars/Olympus")
