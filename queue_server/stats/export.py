"""Reports as downloads: CSV (UTF-8 with a byte order mark, so Excel reads the Chinese) and xlsx
(openpyxl), with zh-CN column headers and a totals row (合计). The same rows and total as the JSON."""

from __future__ import annotations

import csv
import io
from collections.abc import Mapping, Sequence
from typing import Any

from queue_server.domain.ratings import RatingLevel
from queue_server.stats.labels import case_type_label

# (field, header): the report's figures in the order a manager reads them.
COLUMNS: tuple[tuple[str, str], ...] = (
    ("issued", "取号数"),
    ("visits", "叫号数"),
    ("served", "办结数"),
    ("no_show", "过号数"),
    ("transferred", "转移数"),
    ("voided", "作废数"),
    ("abandoned", "未办离开"),
    ("waiting", "当前等候"),
    ("recalls", "重呼次数"),
    ("called_in_target", "目标内叫号"),
    ("service_level", "服务水平"),
    ("wait_mean_s", "平均等候(秒)"),
    ("wait_median_s", "等候中位数(秒)"),
    ("wait_p90_s", "等候P90(秒)"),
    ("wait_p95_s", "等候P95(秒)"),
    ("handling_mean_s", "平均办理(秒)"),
    ("handling_median_s", "办理中位数(秒)"),
    ("handling_p90_s", "办理P90(秒)"),
    ("handling_p95_s", "办理P95(秒)"),
    ("weekend_issued", "双休日取号"),
    ("extended_tickets", "延时服务件数"),
    ("extended_minutes", "延时服务分钟"),
    ("signed_in_minutes", "签到分钟"),
    ("serving_minutes", "办理分钟"),
    ("utilisation", "窗口利用率"),
    ("pauses", "暂停次数"),
    ("pause_minutes", "暂停分钟"),
    ("idle_waiting_minutes", "空闲有人等候(分钟)"),
    ("appointments_booked", "预约数"),
    ("appointments_kept", "预约签到"),
    ("appointments_late", "预约迟到"),
    ("appointments_missed", "预约爽约"),
    ("cases", "办件数"),
    ("promised_due", "承诺件到期"),
    ("promised_overdue", "承诺件超期"),
    ("ratings", "评价数"),
    ("bad_ratings", "差评数"),
    ("satisfaction", "满意率"),
    ("rectifications_closed", "整改办结"),
    ("rectifications_in_time", "按期整改"),
    ("enquiries", "咨询数"),
    ("overdue_cases", "超期办件"),
)
_LEADING = (("label", "项目"), ("login", "工号"))
_NESTED = ("pauses_by_reason", "ratings_by_level", "cases_by_type", "enquiries_by_matter")


def _nested_columns(rows: Sequence[Mapping[str, Any]]) -> list[tuple[str, str, str]]:
    """(field, sub-key, header) for the nested figures present in the rows."""
    keys: dict[str, set[str]] = {name: set() for name in _NESTED}
    for row in rows:
        for name in _NESTED:
            keys[name].update((row.get(name) or {}).keys())
    out = [
        ("ratings_by_level", k, f"评价:{RatingLevel(int(k)).label_zh}")
        for k in sorted(keys["ratings_by_level"], reverse=True)
    ]
    out += [("cases_by_type", k, f"办件:{case_type_label(k)}") for k in sorted(keys["cases_by_type"])]
    out += [
        ("enquiries_by_matter", k, f"咨询:{k or '未选事项'}") for k in sorted(keys["enquiries_by_matter"])
    ]
    for reason in sorted(keys["pauses_by_reason"]):
        out += [
            ("pauses_by_reason", reason, f"暂停:{reason}(次)"),
            ("pauses_by_reason", reason, f"暂停:{reason}(分钟)"),
        ]
    return out


def table(
    rows: Sequence[Mapping[str, Any]], total: Mapping[str, Any] | None
) -> tuple[list[str], list[list[Any]]]:
    """The header and the body (rows, then 合计) of a report; columns nobody has a value for are left out."""
    everything = [*rows, *([total] if total is not None else [])]
    leading = [(f, h) for f, h in _LEADING if any(f in r for r in rows)]
    flat = [(f, h) for f, h in COLUMNS if any(r.get(f) is not None for r in everything)]
    nested = _nested_columns(everything)
    header = [h for _, h in leading] + [h for _, h in flat] + [h for *_, h in nested]
    body = [_line(r, leading, flat, nested) for r in rows]
    if total is not None:
        body.append(_line({**total, "label": "合计"}, leading, flat, nested))
    return header, body


def with_subtotals(
    rows: Sequence[Mapping[str, Any]], subtotals: Sequence[Mapping[str, Any]]
) -> list[Mapping[str, Any]]:
    """The rows with each subtotal (小计, a county's in a city's comparison of halls) after the last of
    the rows it adds up (its ``halls``: their keys)."""
    after: dict[str, list[Mapping[str, Any]]] = {}
    for sub in subtotals:
        members = [str(r["key"]) for r in rows if str(r["key"]) in set(sub["halls"])]
        after.setdefault(members[-1] if members else "", []).append(sub)
    out: list[Mapping[str, Any]] = []
    for row in rows:
        out.append(row)
        out.extend(after.get(str(row["key"]), ()))
    return out + list(after.get("", ()))


def _line(
    row: Mapping[str, Any],
    leading: Sequence[tuple[str, str]],
    flat: Sequence[tuple[str, str]],
    nested: Sequence[tuple[str, str, str]],
) -> list[Any]:
    values: list[Any] = [row.get(f, "") for f, _ in leading] + [row.get(f) for f, _ in flat]
    for field, key, header in nested:
        value = (row.get(field) or {}).get(key)
        if isinstance(value, Mapping):
            value = value.get("minutes" if header.endswith("(分钟)") else "count")
        values.append(value if value is not None else 0)
    return values


def to_csv(header: Sequence[str], body: Sequence[Sequence[Any]]) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(header)
    writer.writerows([["" if v is None else v for v in line] for line in body])
    return "\ufeff".encode() + out.getvalue().encode("utf-8")


def to_xlsx(title: str, header: Sequence[str], body: Sequence[Sequence[Any]]) -> bytes:
    # Imported here, for the rare xlsx download: openpyxl (and numpy, which it loads) would add about
    # 24 MB to the server's resident memory from its start (measured, docs/managers.md).
    from openpyxl import Workbook
    from openpyxl.styles import Font

    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = title[:31]
    sheet.append(list(header))
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    for line in body:
        sheet.append(list(line))
    if body and body[-1] and body[-1][0] == "合计":
        for cell in sheet[sheet.max_row]:
            cell.font = Font(bold=True)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()
