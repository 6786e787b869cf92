"""Fixtures of the display tests: one generated voice pack per session (espeak-ng + sox, real audio)."""

from __future__ import annotations

from pathlib import Path

import pytest

from display.voice.pack import VoicePack, check_tools


@pytest.fixture(scope="session")
def voice_cache(tmp_path_factory: pytest.TempPathFactory) -> Path:
    missing = check_tools()
    if missing:
        pytest.skip(f"voice tools missing: {', '.join(missing)} (scripts/bootstrap installs them)")
    return tmp_path_factory.mktemp("voice-cache")


@pytest.fixture(scope="session")
def voice_pack(voice_cache: Path) -> VoicePack:
    return VoicePack.load(voice_cache)
