"""The hall file schema and its validation: the demo hall, and every rule failing with its path."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any

import pytest
from pydantic import ValidationError

from queue_server.halls import (
    DEMO_HALL_PATH,
    CaseType,
    HallFile,
    HallFileError,
    InvalidHallFileError,
    read_hall_file,
    validate_data,
    validate_file,
)
from queue_server.protocol.messages import DeviceKind


def at(raw: dict[str, Any], section: str, key: str, value: str) -> int:
    return next(i for i, item in enumerate(raw[section]) if item[key] == value)


def errors_of(raw: dict[str, Any], **kw: Any) -> list[HallFileError]:
    result = validate_data(raw, **kw)
    assert isinstance(result, list), "expected problems, the file validated"
    return result


def as_lines(errors: list[HallFileError]) -> list[str]:
    return [str(e) for e in errors]


# --- the demo hall ------------------------------------------------------------------------------


def test_demo_hall_is_valid_and_as_large_as_the_brief_asks() -> None:
    hall = read_hall_file(DEMO_HALL_PATH, today=date(2026, 3, 2))
    assert hall.hall.code == "demo"
    assert 6 <= len(hall.departments) <= 8
    assert [s.code for s in hall.services] == list("ABCDEFG")
    assert len(hall.matters) >= 25
    assert len(hall.windows) >= 16
    assert {m.case_type for m in hall.matters} >= {CaseType.IMMEDIATE, CaseType.PROMISED, CaseType.JOINT}
    assert all(m.materials for m in hall.matters)
    assert any(w.military_priority for w in hall.windows)
    assert any(w.extended_hours for w in hall.windows)
    assert any(w.weekend for w in hall.windows)
    assert hall.hours.rest_day, "weekend windows need rest-day hours"
    kinds = [d.kind for d in hall.devices]
    assert kinds.count(DeviceKind.KIOSK) == 2
    assert DeviceKind.HALL_DISPLAY in kinds
    assert DeviceKind.WINDOW_DISPLAY in kinds
    assert DeviceKind.WINDOW_AGENT in kinds


def test_demo_hall_has_a_licensing_window_with_an_unqualified_person() -> None:
    hall = read_hall_file(DEMO_HALL_PATH)
    licensing = {w.number for w in hall.windows if w.licensing}
    unqualified = [p for p in hall.staff if p.qualification is None and set(p.windows) & licensing]
    assert unqualified, "tests of sign-in refusal need an unqualified person at a licensing window"
    expired = [p for p in hall.staff if p.qualification and p.qualification.expires < date(2025, 1, 1)]
    assert expired and set(expired[0].windows) & licensing


def test_demo_hall_holds_no_password() -> None:
    text = DEMO_HALL_PATH.read_text(encoding="utf-8")
    hall = read_hall_file(DEMO_HALL_PATH)
    assert "password =" not in text
    assert all(p.password_env is None and p.password_file is None for p in hall.staff)


def test_hall_file_model_raises_validation_error_directly(demo_raw: dict[str, Any]) -> None:
    demo_raw["matters"][0]["service"] = "Z"
    with pytest.raises(ValidationError, match=r"matters\[0\]\.service: unknown service 'Z'"):
        HallFile.model_validate(demo_raw)


# --- references, with path and suggestion ----------------------------------------------------------


def test_unknown_service_is_reported_with_its_path_and_the_known_codes(demo_raw: dict[str, Any]) -> None:
    demo_raw["matters"][3]["service"] = "H"
    errors = errors_of(demo_raw)
    assert errors == [HallFileError("matters[3].service", "unknown service 'H'; known: A, B, C, D, E, F, G")]
    path, message = errors[0]  # a (path, message) pair
    assert (path, message) == ("matters[3].service", errors[0].message)


def test_misspelt_department_gets_a_did_you_mean(demo_raw: dict[str, Any]) -> None:
    demo_raw["windows"][4]["department"] = "scgj"
    assert as_lines(errors_of(demo_raw)) == [
        "windows[4].department: unknown department 'scgj'; did you mean 'scjg'?"
    ]


def test_misspelt_key_gets_a_did_you_mean(demo_raw: dict[str, Any]) -> None:
    demo_raw["services"][1]["targt_wait_min"] = demo_raw["services"][1].pop("target_wait_min")
    assert as_lines(errors_of(demo_raw)) == [
        "services[1].targt_wait_min: unknown key 'targt_wait_min'; did you mean 'target_wait_min'?"
    ]


def test_misspelt_choice_gets_a_did_you_mean(demo_raw: dict[str, Any]) -> None:
    demo_raw["matters"][0]["case_type"] = "promissed"
    [error] = errors_of(demo_raw)
    assert error.path == "matters[0].case_type"
    assert error.message.endswith("did you mean 'promised'?")


def test_unknown_window_of_staff_and_device(demo_raw: dict[str, Any]) -> None:
    demo_raw["staff"][2]["windows"] = ["1", "77"]
    demo_raw["devices"][3]["window"] = "99"
    assert as_lines(errors_of(demo_raw)) == [
        "staff[2].windows[1]: unknown window '77'; did you mean '7'?",
        "devices[3].window: unknown window '99'; did you mean '9'?",
    ]


def test_every_problem_is_reported_in_one_run(demo_raw: dict[str, Any]) -> None:
    """Field errors and cross-section errors together: the admin fixes everything in one go."""
    demo_raw["hours"]["tue"] = ["12:00-09:00"]  # a field error: the whole-file check cannot run
    demo_raw["matters"][5]["service"] = "Q"  # a reference error: found by the second pass
    demo_raw["matters"][6]["department"] = "nope"
    demo_raw["windows"][0]["primary"] = ["A", "A"]
    demo_raw["devices"][1]["id"] = demo_raw["devices"][0]["id"]
    lines = as_lines(errors_of(demo_raw))
    assert lines == [
        "hours.tue[0]: bad time range '12:00-09:00': it must start before it ends",
        "matters[5].service: unknown service 'Q'; known: A, B, C, D, E, F, G",
        "matters[6].department: unknown department 'nope'; known: bdc, gaj, gjj, mzj, rsj, scjg, spj, swj",
        "windows[0].primary[1]: service 'A' listed twice",
        "devices[1].id: duplicate id 'demo-kiosk-1' (first at devices[0])",
    ]


def test_an_invalid_item_does_not_make_its_references_unknown(demo_raw: dict[str, Any]) -> None:
    b = at(demo_raw, "services", "code", "B")
    demo_raw["services"][b]["daily_cap"] = 0
    errors = errors_of(demo_raw)
    assert [e.path for e in errors] == [f"services[{b}].daily_cap"]


def test_an_unreadable_section_silences_guesses_about_it(demo_raw: dict[str, Any]) -> None:
    demo_raw["services"] = "A"
    errors = errors_of(demo_raw)
    assert [e.path for e in errors] == ["services"]


# --- duplicates -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("section", "key", "word"),
    [
        ("departments", "code", "code"),
        ("services", "code", "code"),
        ("matters", "code", "code"),
        ("windows", "number", "number"),
        ("staff", "login", "login"),
        ("devices", "id", "id"),
    ],
)
def test_duplicates_are_reported(demo_raw: dict[str, Any], section: str, key: str, word: str) -> None:
    first = demo_raw[section][0][key]
    demo_raw[section][2][key] = first
    messages = [str(e) for e in errors_of(demo_raw) if e.path == f"{section}[2].{key}"]
    assert messages == [f"{section}[2].{key}: duplicate {word} {first!r} (first at {section}[0])"]


def test_duplicate_material_codes_within_a_matter(demo_raw: dict[str, Any]) -> None:
    demo_raw["matters"][0]["materials"][1]["code"] = demo_raw["matters"][0]["materials"][0]["code"]
    assert [e.path for e in errors_of(demo_raw)] == ["matters[0].materials[1].code"]


# --- windows and staff ------------------------------------------------------------------------------


def test_a_window_serving_no_service(demo_raw: dict[str, Any]) -> None:
    demo_raw["windows"][7]["primary"] = []
    demo_raw["windows"][7].pop("secondary", None)
    assert as_lines(errors_of(demo_raw)) == ["windows[7].primary: window '8' serves no service"]


def test_a_service_no_window_serves(demo_raw: dict[str, Any]) -> None:
    g = at(demo_raw, "services", "code", "G")
    for window in demo_raw["windows"]:
        for key in ("primary", "secondary"):
            if "G" in window.get(key, []):
                window[key] = [c for c in window[key] if c != "G"] or ["A"]
    assert as_lines(errors_of(demo_raw)) == [f"services[{g}]: no window serves service 'G' (住房公积金)"]


def test_a_licensing_window_without_qualified_staff(demo_raw: dict[str, Any]) -> None:
    six = at(demo_raw, "windows", "number", "6")
    zhaolei = at(demo_raw, "staff", "login", "zhaolei")
    demo_raw["staff"][zhaolei]["windows"] = ["7"]  # only 马海军, unqualified, is left at window 6
    assert as_lines(errors_of(demo_raw)) == [
        f"windows[{six}].licensing: licensing window '6' has no staff with a law-enforcement qualification"
    ]


def test_an_expired_qualification_counts_only_when_a_date_is_given(demo_raw: dict[str, Any]) -> None:
    five = at(demo_raw, "windows", "number", "5")
    liuyang = at(demo_raw, "staff", "login", "liuyang")
    demo_raw["staff"][liuyang]["windows"] = ["7"]  # only 黄敏, expired 2024-06-30, is left at window 5
    assert isinstance(validate_data(demo_raw), HallFile)
    assert isinstance(validate_data(demo_raw, today=date(2024, 6, 30)), HallFile)
    assert as_lines(errors_of(demo_raw, today=date(2024, 7, 1))) == [
        f"windows[{five}].licensing: licensing window '5' has no staff with a law-enforcement "
        "qualification valid on 2024-07-01"
    ]


def test_weekend_windows_need_rest_day_hours(demo_raw: dict[str, Any]) -> None:
    demo_raw["hours"]["rest_day"] = []
    errors = errors_of(demo_raw)
    weekend_windows = [i for i, w in enumerate(demo_raw["windows"]) if w.get("weekend")]
    weekend_services = [i for i, s in enumerate(demo_raw["services"]) if s.get("weekend")]
    assert {e.path for e in errors} == {f"windows[{i}].weekend" for i in weekend_windows} | {
        f"services[{i}].weekend" for i in weekend_services
    }
    assert all("no rest-day hours" in e.message for e in errors)


def test_a_weekend_service_needs_a_weekend_window(demo_raw: dict[str, Any]) -> None:
    e = at(demo_raw, "services", "code", "E")
    demo_raw["services"][e]["weekend"] = True
    assert as_lines(errors_of(demo_raw)) == [
        f"services[{e}].weekend: weekend service 'E' has no weekend window"
    ]


def test_a_weekend_window_must_serve_a_weekend_service(demo_raw: dict[str, Any]) -> None:
    ten = at(demo_raw, "windows", "number", "10")
    demo_raw["windows"][ten]["weekend"] = True  # serves D, which is not a weekend service
    assert as_lines(errors_of(demo_raw)) == [
        f"windows[{ten}].weekend: weekend window serves no weekend service"
    ]


def test_clear_text_passwords_are_refused(demo_raw: dict[str, Any]) -> None:
    demo_raw["staff"][1]["password"] = "hunter2hunter2"
    demo_raw["staff"][2]["password_env"] = "HALLQ_PW_WANGFANG"
    demo_raw["staff"][2]["password_file"] = "/run/secrets/wangfang"
    assert as_lines(errors_of(demo_raw)) == [
        "staff[1].password: clear-text passwords are not allowed in a hall file; "
        "use password_env or password_file",
        "staff[2].password_file: give password_env or password_file, not both",
    ]


# --- hours ------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("sessions", "message"),
    [
        (
            ["09:00-12:00", "11:30-17:30"],
            "mon[1]: session 11:30-17:30 overlaps or precedes session 09:00-12:00",
        ),
        (
            ["13:30-17:30", "09:00-12:00"],
            "mon[1]: session 09:00-12:00 overlaps or precedes session 13:30-17:30",
        ),
        (["12:00-12:00"], "mon[0]: bad time range '12:00-12:00': it must start before it ends"),
        (["9-12"], "mon[0]: bad time range '9-12': write it as HH:MM-HH:MM, e.g. 09:00-12:00"),
        (["09:00-24:30"], "mon[0]: bad time range '09:00-24:30': hours 00-23, minutes 00-59"),
    ],
)
def test_bad_opening_hours(demo_raw: dict[str, Any], sessions: list[str], message: str) -> None:
    demo_raw["hours"]["mon"] = sessions
    assert as_lines(errors_of(demo_raw)) == [f"hours.{message}"]


def test_saturday_hours_point_to_rest_day(demo_raw: dict[str, Any]) -> None:
    demo_raw["hours"]["sat"] = ["09:00-12:00"]
    [error] = errors_of(demo_raw)
    assert error.path == "hours.sat"
    assert "rest_day" in error.message


def test_a_day_listed_as_holiday_and_working_day(demo_raw: dict[str, Any]) -> None:
    demo_raw["hours"]["extra_holidays"] = [date(2027, 2, 8)]
    demo_raw["hours"]["extra_workdays"] = [date(2027, 2, 14), date(2027, 2, 8)]
    assert as_lines(errors_of(demo_raw)) == [
        "hours.extra_workdays[1]: 2027-02-08 is listed as holiday and as working day"
    ]


# --- matters and devices ----------------------------------------------------------------------------


def test_case_type_rules(demo_raw: dict[str, Any]) -> None:
    immediate = at(demo_raw, "matters", "code", "scjg-001")
    joint = at(demo_raw, "matters", "code", "bdc-001")
    demo_raw["matters"][immediate]["promised_days"] = 3
    demo_raw["matters"][joint]["co_departments"] = []
    assert as_lines(errors_of(demo_raw)) == [
        f"matters[{immediate}].promised_days: an immediate matter (即办件) has no promised days; use 0",
        f"matters[{joint}].co_departments: a joint matter (联办件) needs at least one co-department",
    ]


def test_devices_must_fit_their_kind(demo_raw: dict[str, Any]) -> None:
    kiosk = at(demo_raw, "devices", "id", "demo-kiosk-1")
    display = at(demo_raw, "devices", "id", "demo-win-1-display")
    hall_display = at(demo_raw, "devices", "id", "demo-hall-display")
    agent = at(demo_raw, "devices", "id", "demo-win-4-agent")
    first_agent = at(demo_raw, "devices", "id", "demo-win-1-agent")
    demo_raw["devices"][kiosk]["window"] = "1"
    del demo_raw["devices"][display]["window"]
    demo_raw["devices"][hall_display]["printer_width_mm"] = 80
    demo_raw["devices"][agent]["window"] = "1"  # window 1 already has demo-win-1-agent
    assert as_lines(errors_of(demo_raw)) == [
        f"devices[{kiosk}].window: a kiosk serves the whole hall, not a window",
        f"devices[{hall_display}].printer_width_mm: a hall_display has no printer",
        f"devices[{display}].window: a window_display needs a window",
        f"devices[{agent}].window: window '1' already has an agent (devices[{first_agent}])",
    ]


def test_device_ids_are_topic_safe_and_not_the_server(demo_raw: dict[str, Any]) -> None:
    demo_raw["devices"][0]["id"] = "Kiosk 1"
    demo_raw["devices"][1]["id"] = "hallq-server"
    errors = errors_of(demo_raw)
    assert [e.path for e in errors] == ["devices[0].id", "devices[1].id"]
    assert "reserved for the server" in errors[1].message


# --- files ------------------------------------------------------------------------------------------


def test_validate_file_reports_bad_toml_and_missing_files(tmp_path: Path) -> None:
    broken = tmp_path / "hall.toml"
    broken.write_text('[hall]\ncode = "x\n', encoding="utf-8")
    errors = validate_file(broken)
    assert isinstance(errors, list)
    assert [e.path for e in errors] == [""]
    assert errors[0].message.startswith("not valid TOML")
    missing = validate_file(tmp_path / "nope.toml")
    assert isinstance(missing, list)
    assert missing[0].message.startswith("cannot read")


def test_read_hall_file_raises_with_every_problem(tmp_path: Path) -> None:
    path = tmp_path / "hall.toml"
    path.write_text('[hall]\ncode = "Bad Code"\nname = "x"\n', encoding="utf-8")
    with pytest.raises(InvalidHallFileError) as info:
        read_hall_file(path)
    paths = [e.path for e in info.value.errors]
    assert paths == ["hall.code", "hours", "departments", "services", "windows"]


def test_a_missing_section_is_reported_once_not_at_every_reference(demo_raw: dict[str, Any]) -> None:
    del demo_raw["services"]
    assert [e.path for e in errors_of(demo_raw)] == ["services"]
