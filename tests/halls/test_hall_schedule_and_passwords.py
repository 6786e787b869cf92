"""The hall file's hours as domain schedules, and where initial staff passwords come from."""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from queue_server.domain.refusals import RefusalCode
from queue_server.domain.schedule import HallMode, hall_status, issue_verdict
from queue_server.halls import DEMO_HALL_PATH, HallFile, Staff, read_hall_file, validate_data
from queue_server.halls.passwords import DEMO_PASSWORD_ENV, PasswordError, initial_passwords
from queue_server.halls.schedule import hall_calendar, hall_schedule, service_schedule

SHANGHAI = ZoneInfo("Asia/Shanghai")


def local(year: int, month: int, day: int, hour: int, minute: int) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=SHANGHAI)


@pytest.fixture(scope="module")
def demo() -> HallFile:
    return read_hall_file(DEMO_HALL_PATH)


@pytest.mark.parametrize(
    ("moment", "service", "code"),
    [
        (local(2026, 3, 2, 10, 0), "B", None),  # Monday morning
        (local(2026, 3, 2, 12, 30), "B", None),  # lunch break: the ticket is served in the afternoon
        (local(2026, 3, 2, 17, 5), "B", RefusalCode.CUTOFF_PASSED),  # 30 min cut-off before 17:30
        (local(2026, 3, 2, 17, 5), "D", RefusalCode.CUTOFF_PASSED),  # 45 min
        (local(2026, 3, 2, 16, 50), "D", RefusalCode.CUTOFF_PASSED),
        (local(2026, 3, 2, 16, 40), "D", None),
        (local(2026, 3, 7, 10, 0), "A", None),  # Saturday: a weekend service
        (local(2026, 3, 7, 10, 0), "B", RefusalCode.SERVICE_CLOSED),  # Saturday: not a weekend service
        (local(2026, 10, 1, 10, 0), "F", None),  # National Day, a Thursday: rest-day hours
        (local(2026, 10, 1, 10, 0), "E", RefusalCode.SERVICE_CLOSED),
    ],
)
def test_service_schedules_follow_the_hall_file(
    demo: HallFile, moment: datetime, service: str, code: RefusalCode | None
) -> None:
    verdict = issue_verdict(service_schedule(demo, service), hall_calendar(demo), moment)
    assert verdict.code == code


def test_hall_modes(demo: HallFile) -> None:
    schedule, calendar = hall_schedule(demo), hall_calendar(demo)
    assert hall_status(schedule, calendar, local(2026, 3, 2, 9, 30)).mode is HallMode.OPEN
    assert hall_status(schedule, calendar, local(2026, 3, 2, 12, 45)).mode is HallMode.LUNCH_BREAK
    assert hall_status(schedule, calendar, local(2026, 3, 7, 9, 30)).mode is HallMode.WEEKEND_SERVICE


def test_extended_services_are_those_an_extended_window_serves(demo: HallFile) -> None:
    extended = {s.code for s in demo.services if service_schedule(demo, s.code).extended}
    windows = [w for w in demo.windows if w.extended_hours]
    assert extended == {c for w in windows for c in (*w.primary, *w.secondary)}
    assert "E" not in extended


def test_extra_days_for_a_year_the_national_calendar_lacks(demo_raw: dict[str, Any]) -> None:
    demo_raw["hours"]["extra_holidays"] = [date(2031, 3, 3)]  # a Monday
    demo_raw["hours"]["extra_workdays"] = [date(2031, 3, 8)]  # a Saturday
    hall = validate_data(demo_raw)
    assert isinstance(hall, HallFile)
    calendar = hall_calendar(hall)
    assert not calendar.is_working_day(date(2031, 3, 3))
    assert calendar.is_working_day(date(2031, 3, 8))
    b = service_schedule(hall, "B")
    assert issue_verdict(b, calendar, local(2031, 3, 8, 10, 0)).ok  # a make-up Saturday: Monday's hours
    assert issue_verdict(b, calendar, local(2031, 3, 3, 10, 0)).code == RefusalCode.SERVICE_CLOSED


# --- passwords ----------------------------------------------------------------------------------------


def person(login: str, **kw: Any) -> Staff:
    return Staff(login=login, name="测试", **kw)


def test_password_sources_in_order(tmp_path: Path) -> None:
    secret = tmp_path / "secret"
    secret.write_text("from-a-file-123\n", encoding="utf-8")
    staff = [
        person("given", password_env="UNSET_VAR"),
        person("envuser", password_env="HALLQ_PW_ENV"),
        person("fileuser", password_file=str(secret)),
        person("devuser"),
    ]
    result = initial_passwords(
        staff,
        given={"given": "handed-over-1"},
        environ={"HALLQ_PW_ENV": "from-the-env-1", DEMO_PASSWORD_ENV: "demo-password-1"},
    )
    assert result.passwords == {
        "given": "handed-over-1",
        "envuser": "from-the-env-1",
        "fileuser": "from-a-file-123",
        "devuser": "demo-password-1",
    }
    assert result.generated == {}


def test_a_person_without_source_gets_a_generated_password_reported_once() -> None:
    result = initial_passwords([person("aa"), person("bb")], environ={})
    assert set(result.generated) == {"aa", "bb"}
    assert result.generated == result.passwords
    assert result.generated["aa"] != result.generated["bb"]
    assert all(len(p) >= 12 for p in result.generated.values())


def test_missing_sources_are_all_reported(tmp_path: Path) -> None:
    staff = [
        person("aa", password_env="HALLQ_PW_A"),
        person("bb", password_file=str(tmp_path / "missing")),
        person("cc", password_env="HALLQ_PW_C"),
    ]
    with pytest.raises(PasswordError) as info:
        initial_passwords(staff, environ={"HALLQ_PW_C": "short"})
    message = str(info.value)
    assert "aa: environment variable HALLQ_PW_A is not set" in message
    assert "bb: cannot read password file" in message
    assert "cc: the initial password is shorter than 8 characters" in message


def test_production_refuses_development_passwords() -> None:
    with pytest.raises(PasswordError, match="dev: no password_env or password_file"):
        initial_passwords([person("dev")], environ={DEMO_PASSWORD_ENV: "demo-password-1"}, allow_dev=False)
    ok = initial_passwords(
        [person("env", password_env="PW")], environ={"PW": "a-real-one-1"}, allow_dev=False
    )
    assert ok.passwords == {"env": "a-real-one-1"}
