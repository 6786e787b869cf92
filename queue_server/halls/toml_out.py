"""Write hall file data as TOML text (the standard library reads TOML but does not write it).

Only what a hall file holds: strings, integers, booleans, dates, lists of those, tables (``[hall]``),
arrays of tables (``[[services]]``) and inline tables inside them (a matter's materials, a person's
qualification). ``None`` means "not set" and is left out: TOML has no null. ``tomllib.loads`` of the
text gives back the data, which is what ``hallq hall export`` relies on.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from datetime import date
from typing import Any

_BARE_KEY = re.compile(r"^[A-Za-z0-9_-]+$")


def dumps(data: Mapping[str, Any], *, header: str = "") -> str:
    """``data`` as a TOML document: top-level values first, then each table and array of tables.

    ``header``: comment lines put at the top (each line gets ``# ``).
    """
    lines = [f"# {line}".rstrip() for line in header.splitlines()]
    if lines:
        lines.append("")
    lines.extend(
        _pairs({k: v for k, v in data.items() if not isinstance(v, Mapping) and not _is_table_array(v)})
    )
    for key, value in data.items():
        if isinstance(value, Mapping):
            lines.extend(["", f"[{_key(key)}]", *_pairs(value)])
        elif _is_table_array(value):
            for item in value:
                lines.extend(["", f"[[{_key(key)}]]", *_pairs(item)])
    return "\n".join(lines) + "\n"


def _is_table_array(value: Any) -> bool:
    return isinstance(value, list) and bool(value) and all(isinstance(v, Mapping) for v in value)


def _pairs(table: Mapping[str, Any]) -> list[str]:
    """The ``key = value`` lines of a table (tables inside it inline: a person's qualification)."""
    return [f"{_key(key)} = {_value(value)}" for key, value in table.items() if value is not None]


def _key(key: str) -> str:
    return key if _BARE_KEY.match(key) else _string(key)


def _string(text: str) -> str:
    # JSON's escapes are all TOML basic-string escapes; TOML also wants DEL escaped.
    return json.dumps(text, ensure_ascii=False).replace("\x7f", "\\u007f")


def _value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return repr(value)
    if isinstance(value, str):
        return _string(value)
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, Mapping):
        inner = ", ".join(f"{_key(k)} = {_value(v)}" for k, v in value.items() if v is not None)
        return f"{{ {inner} }}" if inner else "{}"
    if isinstance(value, list | tuple):
        if value and all(isinstance(v, Mapping) for v in value):
            # One inline table a line (a matter's materials): TOML allows newlines between elements.
            return "[\n" + "".join(f"  {_value(v)},\n" for v in value) + "]"
        return "[" + ", ".join(_value(v) for v in value) + "]"
    raise TypeError(f"no TOML form for {type(value).__name__}")
