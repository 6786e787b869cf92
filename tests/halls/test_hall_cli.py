"""``hallq hall validate | load | show-demo-path`` through the real CLI entry point."""

from __future__ import annotations

import json
import tomllib
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from sqlmodel import Session, select

from queue_server.cli import main
from queue_server.halls import DEMO_HALL_PATH
from queue_server.services.engine.rules import hall_calendar
from queue_server.store import make_engine
from queue_server.store import tables as t


def write_toml_with(tmp_path: Path, edit: dict[str, Any]) -> Path:
    """The demo hall file with a few lines replaced (text edits keep it a real TOML file)."""
    text = DEMO_HALL_PATH.read_text(encoding="utf-8")
    for old, new in edit.items():
        assert old in text
        text = text.replace(old, new, 1)
    path = tmp_path / "hall.toml"
    path.write_text(text, encoding="utf-8")
    tomllib.loads(text)
    return path


def test_show_demo_path(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["hall", "show-demo-path"]) == 0
    assert capsys.readouterr().out.strip() == str(DEMO_HALL_PATH)


def test_validate_the_demo(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["hall", "validate", str(DEMO_HALL_PATH)]) == 0
    out = capsys.readouterr().out
    assert "ok: hall demo (示范市政务服务中心)" in out
    assert "30 matters" in out


def test_validate_lists_every_problem(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = write_toml_with(
        tmp_path,
        {
            'service = "B"\ndepartment = "scjg"\ncase_type = "immediate"': (
                'service = "H"\ndepartment = "scgj"\ncase_type = "immediate"'
            ),
            'mon = ["09:00-12:00", "13:30-17:30"]': 'mon = ["09:00-12:00", "11:30-17:30"]',
        },
    )
    assert main(["hall", "validate", str(path)]) == 1
    err = capsys.readouterr().err
    assert f"{path}: 3 problem(s)" in err
    assert "  hours.mon[1]: session 11:30-17:30 overlaps or precedes session 09:00-12:00" in err
    assert "  matters[0].service: unknown service 'H'; known: A, B, C, D, E, F, G" in err
    assert "  matters[0].department: unknown department 'scgj'; did you mean 'scjg'?" in err


def test_validate_on_a_date_checks_qualification_expiry(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # 刘洋 leaves window 5; 黄敏, whose qualification expired on 2024-06-30, stays alone there.
    path = write_toml_with(tmp_path, {'windows = ["5", "7"]': 'windows = ["7"]'})
    assert main(["hall", "validate", str(path)]) == 0
    assert main(["hall", "validate", str(path), "--on", "2025-01-01"]) == 1
    assert "licensing window '5' has no staff with a law-enforcement qualification valid on 2025-01-01" in (
        capsys.readouterr().err
    )


def test_load_twice_into_sqlite(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("HALLQ_DEMO_PASSWORD", raising=False)
    url = f"sqlite:///{tmp_path / 'hall.db'}"
    assert main(["hall", "load", str(DEMO_HALL_PATH), "--db", url]) == 0
    first = capsys.readouterr().out
    assert "8 department" in first.split("created ", 1)[1].split(";")[0]
    assert "development passwords (shown once" in first
    assert main(["hall", "load", str(DEMO_HALL_PATH), "--db", url]) == 0
    second = capsys.readouterr().out
    assert "created nothing; updated nothing; retired nothing" in second
    assert "development passwords" not in second
    engine = make_engine(url)
    with Session(engine) as s:
        assert len(s.exec(select(t.Matter)).all()) == 30
    engine.dispose()


def test_load_refuses_an_invalid_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = write_toml_with(tmp_path, {'code = "demo"': 'code = "Demo Hall"'})
    url = f"sqlite:///{tmp_path / 'hall.db'}"
    assert main(["hall", "load", str(path), "--db", url]) == 1
    assert "hall.code" in capsys.readouterr().err
    assert not (tmp_path / "hall.db").exists()


# The demo hall file with the 2027 notice's make-up Saturday entered and the year confirmed.
CONFIRMED_2027 = {
    "extra_workdays = []\nconfirmed_years = []": "extra_workdays = [2027-02-20]\nconfirmed_years = [2027]"
}


def test_calendar_prints_the_year_as_json(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["hall", "calendar", "--year", "2027", "--json"]) == 0
    printed = json.loads(capsys.readouterr().out)
    assert printed["source"] == "provisional"
    assert {"2027-01-01", "2027-02-08", "2027-10-01"} <= set(printed["holidays"])
    assert printed["workdays"] == []
    assert main(["hall", "calendar", "--year", "2026"]) == 0
    official = json.loads(capsys.readouterr().out)
    assert official["source"] == "official"
    assert "2026-02-14" in official["workdays"]  # the State Council's make-up Saturday


def test_calendar_and_validate_with_the_halls_own_days(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["hall", "validate", str(DEMO_HALL_PATH), "--on", "2026-12-07"]) == 0
    assert "warning: the national holiday arrangement for 2027" in capsys.readouterr().err
    path = write_toml_with(
        tmp_path,
        CONFIRMED_2027,
    )
    assert main(["hall", "validate", str(path), "--on", "2026-12-07"]) == 0
    assert "warning" not in capsys.readouterr().err
    assert main(["hall", "calendar", "--year", "2027", "--file", str(path)]) == 0
    printed = json.loads(capsys.readouterr().out)
    assert printed["source"] == "confirmed"
    assert printed["workdays"] == ["2027-02-20"]


def test_confirmed_years_are_stored_and_used_by_the_running_rules(tmp_path: Path) -> None:
    path = write_toml_with(
        tmp_path,
        CONFIRMED_2027,
    )
    url = f"sqlite:///{tmp_path / 'hall.db'}"
    assert main(["hall", "load", str(path), "--db", url]) == 0
    engine = make_engine(url)
    with Session(engine) as s:
        hall = s.exec(select(t.Hall)).one()
        assert hall.confirmed_years == [2027]
        calendar = hall_calendar(hall)  # what Tx.calendar gives every use case
    engine.dispose()
    assert calendar.knows_year(2027)
    assert calendar.is_working_day(date(2027, 2, 20))
