"""Loading halls of one city (市/县/乡) into one database: a parent stored here must sit above its child
(``domain/hierarchy.py``, checked by the loader); a parent on another server is allowed."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine
from sqlmodel import Session, select

from queue_server.cli import main
from queue_server.halls.errors import ProblemsError
from queue_server.halls.loader import load_hall
from queue_server.halls.toml_out import dumps
from queue_server.store import tables as t
from tests.halls.conftest import hall_of

PASSWORDS = {"HALLQ_DEMO_PASSWORD": "demo-password-1"}


def _as(raw: dict[str, Any], code: str, level: str, parent: str | None) -> dict[str, Any]:
    """The same hall file as another hall of the city (its own code and device ids)."""
    raw["hall"].update(code=code, level=level)
    if parent is None:
        raw["hall"].pop("parent", None)
    else:
        raw["hall"]["parent"] = parent
    for device in raw["devices"]:
        device["id"] = f"{code}-{device['id']}"[:40]
    return raw


def _stored(engine: Engine) -> dict[str, tuple[str, str | None]]:
    with Session(engine) as s:
        return {h.code: (h.level, h.parent) for h in s.exec(select(t.Hall))}


def test_a_city_loads_and_a_misplaced_hall_is_refused(engine: Engine, small_raw: dict[str, Any]) -> None:
    load_hall(engine, hall_of(_as(small_raw, "shi", "city", None)), environ=PASSWORDS)
    load_hall(engine, hall_of(_as(small_raw, "xian", "county", "shi")), environ=PASSWORDS)
    load_hall(engine, hall_of(_as(small_raw, "zhen", "township", "xian")), environ=PASSWORDS)
    with pytest.raises(ProblemsError) as refused:  # a county under a township
        load_hall(engine, hall_of(_as(small_raw, "xian2", "county", "zhen")), environ=PASSWORDS)
    expected = "hall.parent: xian2: parent 'zhen' is a township hall, not above a county hall"
    assert str(refused.value) == expected
    with pytest.raises(ProblemsError, match="zhen: parent 'xian' is a township hall"):
        # Reloading the county as a township would leave its township under a hall of its level.
        load_hall(engine, hall_of(_as(small_raw, "xian", "township", "shi")), environ=PASSWORDS)
    assert _stored(engine) == {"shi": ("city", None), "xian": ("county", "shi"), "zhen": ("township", "xian")}


def test_hall_load_reports_the_refusal(
    tmp_path: Path,
    small_raw: dict[str, Any],
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.setenv("HALLQ_DEMO_PASSWORD", PASSWORDS["HALLQ_DEMO_PASSWORD"])
    url = f"sqlite:///{tmp_path / 'city.db'}"
    town, county = tmp_path / "town.toml", tmp_path / "county.toml"
    town.write_text(dumps(_as(small_raw, "zhen", "township", None)), encoding="utf-8")
    assert main(["hall", "load", str(town), "--db", url]) == 0
    county.write_text(dumps(_as(small_raw, "xian", "county", "zhen")), encoding="utf-8")
    assert main(["hall", "load", str(county), "--db", url]) == 2
    err = capsys.readouterr().err
    assert "hall.parent: xian: parent 'zhen' is a township hall, not above a county hall" in err
