"""The hall file's validation messages in zh-CN, for the people who edit the hall in the browser.

``hallq hall validate`` speaks English (the hall file's writers, the logs); the administrators'
pages (``services/admin/``, ``services/catalog_admin/``) show :func:`zh` of the same message beside
its field and keep the English one as the problem's ``detail``. One table for pydantic's error types
as ``halls/validate.py`` words them (missing, too short or long, bounds, patterns, literals and
enums, unknown keys with their "did you mean") and one for the rules of the models and of
``halls/checks.py``. A message no pattern fits is returned as it is (``tests/halls/
test_messages_zh.py`` holds every common one in Chinese). Import-light like ``schema``.
"""

from __future__ import annotations

import re

from queue_server.protocol.topics import ID_PATTERN, WINDOW_PATTERN

# What each hall-file pattern (``values.py``, ``schema.py``) asks for, in words.
_PATTERNS: dict[str, str] = {
    r"^[A-Z]$": "须为一个大写字母，如 A",
    r"^[a-z][a-z0-9_-]{0,31}$": "须以小写字母开头，只含小写字母、数字、下划线、横线",
    f"^{ID_PATTERN.pattern}$": "只能含小写字母、数字、横线（至多40个字符）",
    f"^{WINDOW_PATTERN.pattern}$": "只能含字母、数字、横线（至多16个字符）",
    r"^[a-z][a-z0-9._-]{1,31}$": "须以小写字母开头，2至32个字符（小写字母、数字、点、下划线、横线）",
    r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$": "只能含字母、数字、点、横线",
    r"^[A-Z_][A-Z0-9_]{0,63}$": "只能含大写字母、数字、下划线",
}
_PRINTER = "请写作 tcp://主机:9100、serial:///dev/…?baud=9600 或 file:///dev/usb/lp0"

_WHAT = {
    "service": "业务",
    "department": "部门",
    "window": "窗口",
    "staff login": "工号",
    "staff": "人员",
}
_KEY = {"code": "编码", "number": "窗口号", "login": "工号", "service": "业务", "id": "设备编号"}

# (pattern on the English message, zh-CN text with the pattern's groups). The first match wins.
_TABLE: tuple[tuple[str, str], ...] = (
    # pydantic's error types, as halls/validate.py words them
    (r"^required$", "必填"),
    (r"^Field required", "必填"),
    (r"^String should have at least 1 character", "不能为空"),
    (r"^String should have at least (\d+) characters", r"至少\1个字"),
    (r"^String should have at most (\d+) characters?", r"不能超过\1个字"),
    (r"^List should have at least (\d+) items?", r"至少填写\1项"),
    (r"^List should have at most (\d+) items?", r"最多填写\1项"),
    (r"^Input should be greater than or equal to (\S+)", r"不能小于 \1"),
    (r"^Input should be greater than (\S+)", r"须大于 \1"),
    (r"^Input should be less than or equal to (\S+)", r"不能大于 \1"),
    (r"^Input should be less than (\S+)", r"须小于 \1"),
    (r"^Input should be a valid (integer|number)", "须为整数"),
    (r"^Input should be a valid boolean", "须为是或否"),
    (r"^Input should be a valid date", "须为日期，如 2027-02-20"),
    (r"^Input should be a valid string", "须为文字"),
    (r"^Input should be a valid list", "须为列表"),
    (r"^Input should be a valid dictionary", "须为一组设置"),
    (r"^unknown key '([^']*)'", r"无此字段“\1”"),
    (
        r"^clear-text passwords are not allowed",
        "大厅设置中不能写明文密码，请用 password_env 或 password_file",
    ),
    (r"^weekend hours go in rest_day", "双休日作息写在“双休日、节假日”时段；调休上班日按周一作息"),
    # the hall's own values
    (r"^bad time range '([^']*)': write it as", r"时段“\1”有误：请写作 09:00-12:00"),
    (r"^bad time range '([^']*)': hours", r"时段“\1”有误：小时为 00-23，分钟为 00-59"),
    (r"^bad time range '([^']*)': it must start", r"时段“\1”有误：开始须早于结束"),
    (r"^session (\S+) overlaps or precedes session (\S+)", r"时段 \1 与前一时段 \2 重叠或顺序颠倒"),
    (r"^the hall is never open on a working day", "工作日没有任何开放时段"),
    (r"^(\S+) is listed as holiday and as working day", r"\1 同时列为休息日和上班日"),
    (r"^unknown time zone '([^']*)'", r"未知时区“\1”（如 Asia/Shanghai）"),
    (r"^a hall cannot be its own parent", "上级大厅不能是本厅"),
    (r"^maximum wait (\d+) is below the target (\d+)", r"最长等候 \1 分钟低于目标等候 \2 分钟"),
    (r"^window '([^']*)' serves no service", r"窗口 \1 没有办理任何业务"),
    (r"^service '([^']*)' listed twice", r"业务 \1 重复"),
    (r"^service '([^']*)' is already primary", r"业务 \1 已是主办业务"),
    (r"^give password_env or password_file, not both", "password_env 与 password_file 只能填一项"),
    (r"^the server is not a device of the hall file", "服务器不是大厅设备"),
    (r"^ids starting with 'hallq-' are reserved", "以 hallq- 开头的编号留给服务器使用"),
    (r"^a \w+ needs a window", "窗口设备须填写所属窗口"),
    (r"^a \w+ serves the whole hall, not a window", "该设备服务整个大厅，不能指定窗口"),
    (r"^a \w+ has no printer", "该类设备没有打印机"),
    (r"^only a kiosk's printer is provisioned", "只有取号机在此设置打印机连接"),
    (r"^only kiosks choose the services they offer", "只有取号机可以选择所办业务"),
    (r"^'([^']*)' listed twice", r"“\1”重复"),
    (r"^lunch-duty services need a lunch-duty window", "设了午间不休业务，须同时设午间不休窗口"),
    (r"^name one of login, role or window", "工号、角色、窗口须填且只填一项"),
    # the catalogue's rules (halls/catalogue.py)
    (r"^duplicate material code '([^']*)'.*", r"材料编码“\1”重复"),
    (r"^an immediate matter .* has no promised days.*", "即办件的承诺办结时限应为0"),
    (r"^a \w+ matter needs promised_days >= 1", "该办件类型须填写承诺办结时限（至少1个工作日）"),
    (r"^a joint matter .* needs at least one co-department", "联办件须至少填写一个协办部门"),
    (r"^the lead department is not its own co-department", "实施部门不能同时为协办部门"),
    # the cross-checks (halls/checks.py)
    (r"^no window serves service '([^']*)' \((.*)\)$", r"没有窗口办理业务 \1（\2），取号后无人叫号"),
    (r"^weekend window, but the hall has no rest-day hours", "双休日窗口，但大厅没有双休日作息时段"),
    (r"^weekend window serves no weekend service", "双休日窗口不办理任何双休日业务"),
    (r"^weekend service, but the hall has no rest-day hours", "双休日业务，但大厅没有双休日作息时段"),
    (r"^weekend service '([^']*)' has no weekend window", r"双休日业务 \1 没有双休日窗口"),
    (
        r"^licensing window '([^']*)' has no staff with a law-enforcement qualification valid on (\S+)",
        r"行政许可窗口 \1 没有在 \2 持有效行政执法资格的人员",
    ),
    (
        r"^licensing window '([^']*)' has no staff with a law-enforcement qualification",
        r"行政许可窗口 \1 没有具有行政执法资格的人员",
    ),
    (r"^window '([^']*)' already has an agent \(devices\[(\d+)\]\)", r"窗口 \1 已有窗口终端（devices[\2]）"),
    (r"^window '([^']*)' belongs to department '([^']*)', not '([^']*)'", r"窗口 \1 属于部门 \2，不属于 \3"),
)
_COMPILED = tuple((re.compile(pattern), text) for pattern, text in _TABLE)
_UNKNOWN = re.compile(r"^unknown (staff login|service|department|window|staff) '([^']*)'")
_DUPLICATE = re.compile(r"^duplicate (\w+) '([^']*)' \(first at (\w+)\[(\d+)\]\)")
_NO_MATCH = re.compile(r"^'(.*)' does not match (.+)$")
_CHOICE = re.compile(r"^Input should be (.+?)(; did you mean .*)?$")


def zh(message: str) -> str:
    """The zh-CN sentence of a hall file message (the message itself when none fits)."""
    for pattern, text in _COMPILED:
        match = pattern.match(message)
        if match is not None:
            return match.expand(text) + _hint(message)
    return _special(message) or message


def _special(message: str) -> str | None:
    """The messages whose words depend on what they name: references, duplicates, patterns, choices."""
    if (m := _UNKNOWN.match(message)) is not None:
        return f"未知的{_WHAT[m[1]]}“{m[2]}”{_hint(message)}"
    if (m := _DUPLICATE.match(message)) is not None:
        return f"{_KEY.get(m[1], m[1])}“{m[2]}”重复（与第{int(m[4]) + 1}项相同）"
    if (m := _NO_MATCH.match(message)) is not None:
        rule = _PATTERNS.get(m[2], _PRINTER if m[2].startswith("^(tcp://") else "格式不正确")
        return f"“{m[1]}”{rule}"
    if (m := _CHOICE.match(message)) is not None and not message.startswith("Input should be a valid"):
        choices = [c.strip("'") for c in re.split(r", | or ", m[1])]
        return "取值无效，可选：" + "、".join(choices) + _hint(message, known=False)
    return None


def _hint(message: str, *, known: bool = True) -> str:
    """The "did you mean" of ``halls/errors.py`` ``suggest``, in zh-CN."""
    close = re.search(r"; did you mean '([^']*)'\?", message)
    if close is not None:
        return f"，是否为“{close[1]}”？"
    listed = re.search(r"; known: (.*)$", message)
    return f"，可选：{listed[1]}" if known and listed is not None else ""
