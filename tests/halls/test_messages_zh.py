"""The hall file's validation messages as the administrators' pages show them: each common kind of
problem, produced by the real validator on the demo hall, reads in Chinese (``halls/messages_zh.py``)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Any

import pytest

from queue_server.halls.errors import HallFileError
from queue_server.halls.messages_zh import zh
from queue_server.halls.validate import validate_data

Raw = dict[str, Any]


def _set(path: list[str | int], value: Any) -> Callable[[Raw], None]:
    def edit(raw: Raw) -> None:
        target: Any = raw
        for key in path[:-1]:
            target = target[key]
        target[path[-1]] = value

    return edit


def _drop_name(raw: Raw) -> None:
    del raw["services"][0]["name"]


def _unserved_service(raw: Raw) -> None:
    raw["services"].append({"code": "H", "name": "新业务"})


def _second_agent(raw: Raw) -> None:
    agent = next(d for d in raw["devices"] if d["kind"] == "window_agent")
    raw["devices"].append({**agent, "id": "another-agent"})


def _duplicate_window(raw: Raw) -> None:
    raw["windows"][1]["number"] = raw["windows"][0]["number"]


CASES: list[tuple[str, Callable[[Raw], None], str, str]] = [
    ("missing", _drop_name, "services[0].name", "必填"),
    ("too short", _set(["services", 0, "name"], ""), "services[0].name", "不能为空"),
    ("too long", _set(["hall", "phone"], "1" * 41), "hall.phone", "不能超过40个字"),
    ("less than", _set(["services", 0, "daily_cap"], 0), "services[0].daily_cap", "不能小于 1"),
    ("greater than", _set(["services", 0, "daily_cap"], 100_001), "services[0].daily_cap", "不能大于 100000"),
    ("not a number", _set(["services", 0, "daily_cap"], "many"), "services[0].daily_cap", "须为整数"),
    (
        "pattern",
        _set(["departments", 0, "code"], "Tax"),
        "departments[0].code",
        "“Tax”须以小写字母开头，只含小写字母、数字、下划线、横线",
    ),
    (
        "literal",
        _set(["devices", 0, "printer_width_mm"], 70),
        "devices[0].printer_width_mm",
        "取值无效，可选：58、80",
    ),
    (
        "enum, did you mean",
        _set(["hall", "level"], "countyy"),
        "hall.level",
        "取值无效，可选：city、county、township，是否为“county”？",
    ),
    (
        "unknown key, did you mean",
        _set(["supervision", "max_pause"], 5),
        "supervision.max_pause",
        "无此字段“max_pause”，是否为“max_pause_min”？",
    ),
    (
        "unknown reference",
        _set(["windows", 0, "primary"], ["Z"]),
        "windows[0].primary[0]",
        "未知的业务“Z”，可选：A, B, C, D, E, F, G",
    ),
    ("duplicate", _duplicate_window, "windows[1].number", "窗口号“1”重复（与第1项相同）"),
    ("no window serves", _unserved_service, "services[7]", "没有窗口办理业务 H（新业务），取号后无人叫号"),
    ("one agent per window", _second_agent, "devices[15].window", "窗口 1 已有窗口终端（devices[10]）"),
    (
        "time range",
        _set(["hours", "wed"], ["17:00-14:00"]),
        "hours.wed[0]",
        "时段“17:00-14:00”有误：开始须早于结束",
    ),
    (
        "listed twice",
        _set(["policies", "lunch_windows"], ["18", "18"]),
        "policies.lunch_windows[1]",
        "“18”重复",
    ),
    (
        "department binding",
        _set(["staff", 1, "windows"], ["6"]),
        "staff[1].windows[0]",
        "窗口 6 属于部门 scjg，不属于 spj",
    ),
]


def _errors(raw: Raw, today: date | None = None) -> list[HallFileError]:
    result = validate_data(raw, today=today)
    assert isinstance(result, list), "expected problems, the hall validated"
    return result


@pytest.mark.parametrize(("kind", "edit", "path", "text"), CASES, ids=[c[0] for c in CASES])
def test_each_common_problem_reads_in_chinese(
    demo_raw: Raw, kind: str, edit: Callable[[Raw], None], path: str, text: str
) -> None:
    edit(demo_raw)
    errors = _errors(demo_raw)
    by_path = {e.path: e.message for e in errors}
    assert path in by_path, errors
    assert zh(by_path[path]) == text
    # Whatever else the edit set off reads in Chinese too (no English sentence left for the page).
    assert [e for e in errors if zh(e.message) == e.message] == []


def test_a_licensing_window_without_a_qualified_person_on_the_day(demo_raw: Raw) -> None:
    errors = _errors(demo_raw, today=date(2100, 1, 1))
    texts = {zh(e.message) for e in errors if e.path.endswith(".licensing")}
    assert texts
    assert all(
        t.startswith("行政许可窗口 ") and t.endswith("没有在 2100-01-01 持有效行政执法资格的人员")
        for t in texts
    )


def test_rest_day_rules_and_the_english_left_as_it_is() -> None:
    assert zh("weekend window, but the hall has no rest-day hours (hours.rest_day)") == (
        "双休日窗口，但大厅没有双休日作息时段"
    )
    assert zh("weekend service 'F' has no weekend window") == "双休日业务 F 没有双休日窗口"
    assert zh("something no table knows") == "something no table knows"
