"""Read and validate a hall file: every problem, each with its path, then the model (or nothing).

First the whole file is validated as a :class:`HallFile`. If a section fails, the cross-section rules
(references, duplicates) would not run, so a second pass validates each item on its own and checks
the references between the items that did validate: one run tells the admin everything.
"""

from __future__ import annotations

import re
import tomllib
import types
import typing
from collections.abc import Mapping
from datetime import date
from pathlib import Path
from typing import Any

from pydantic import BaseModel, TypeAdapter, ValidationError

from .checks import KEYS, UNREADABLE, Parts, cross_check
from .errors import HallFileError, Loc, ProblemsError, format_loc, suggest
from .policies import Policies
from .schema import HallFile, HallInfo, Hours, Staff

DEMO_HALL_PATH = Path(__file__).with_name("demo_hall.toml")
"""The demo hall (示范市政务服务中心), loaded by ``hallq up``."""

_SECTION_ORDER = {name: i for i, name in enumerate(HallFile.model_fields)}

# Keys people write by mistake, and what to write instead.
_KEY_HINTS: dict[tuple[type[BaseModel] | None, str], str] = {
    (
        Staff,
        "password",
    ): "clear-text passwords are not allowed in a hall file; use password_env or password_file",
    (
        Hours,
        "sat",
    ): "weekend hours go in rest_day (双休日服务); a make-up working day (调休) uses Monday's hours",
    (
        Hours,
        "sun",
    ): "weekend hours go in rest_day (双休日服务); a make-up working day (调休) uses Monday's hours",
}

_ITEM_MODELS: dict[str, type[BaseModel]] = {
    name: typing.get_args(HallFile.model_fields[name].annotation)[0] for name in KEYS
}


class InvalidHallFileError(ValueError):
    """A hall file with problems; ``errors`` lists them all."""

    def __init__(self, source: str, errors: list[HallFileError]) -> None:
        self.source = source
        self.errors = errors
        lines = "\n".join(f"  {e}" for e in errors)
        super().__init__(f"{source}: {len(errors)} problem(s)\n{lines}")


def validate_file(path: str | Path, *, today: date | None = None) -> HallFile | list[HallFileError]:
    """The hall described by the TOML file at ``path``, or every problem found in it.

    ``today``: also require each licensing window to have a qualification valid on that day.
    """
    try:
        text = Path(path).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        return [HallFileError("", f"cannot read {path}: {exc}")]
    try:
        raw = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        return [HallFileError("", f"not valid TOML: {exc}")]
    return validate_data(raw, today=today)


def read_hall_file(path: str | Path, *, today: date | None = None) -> HallFile:
    """Like :func:`validate_file`, raising :class:`InvalidHallFileError` with every problem."""
    result = validate_file(path, today=today)
    if isinstance(result, list):
        raise InvalidHallFileError(str(path), result)
    return result


def validate_data(raw: Mapping[str, Any], *, today: date | None = None) -> HallFile | list[HallFileError]:
    """Validate already-parsed TOML data (a dict)."""
    try:
        return HallFile.model_validate(raw, context={"today": today})
    except ValidationError as exc:
        errors = translate(exc)
        whole_file_checked = any(e["type"] == "value_error" and e["loc"] == () for e in exc.errors())
    if not whole_file_checked:
        errors.extend(_cross_check_parts(raw, today))
    return _ordered(_unique(errors))


def translate(exc: ValidationError, prefix: Loc = ()) -> list[HallFileError]:
    """Pydantic's errors as hall file errors, one per problem, with paths and suggestions."""
    out: list[HallFileError] = []
    for err in exc.errors():
        loc: Loc = (*prefix, *err["loc"])
        problem = err.get("ctx", {}).get("error")
        if isinstance(problem, ProblemsError):
            out.extend(HallFileError(format_loc((*loc, *sub)), msg) for sub, msg in problem.problems)
        else:
            out.append(HallFileError(format_loc(loc), _message(err, loc)))
    return out


def _message(err: Any, loc: Loc) -> str:
    kind: str = err["type"]
    msg: str = err["msg"]
    if kind == "value_error":
        return msg.removeprefix("Value error, ")
    if kind == "extra_forbidden":
        key = str(loc[-1])
        model = _model_at(loc[:-1])
        hint = _KEY_HINTS.get((model, key))
        if hint is not None:
            return hint
        fields = list(model.model_fields) if model is not None else []
        return f"unknown key {key!r}{suggest(key, fields)}"
    if kind == "missing":
        return "required"
    if kind in ("literal_error", "enum") and isinstance(err.get("input"), str):
        expected = re.findall(r"'([^']*)'", str(err.get("ctx", {}).get("expected", "")))
        hint = suggest(err["input"], expected)
        if hint.startswith("; did you mean"):
            return f"{msg}{hint}"
    if kind == "string_pattern_mismatch":
        return f"{err['input']!r} does not match {err['ctx']['pattern']}"
    return msg


def _model_at(loc: Loc) -> type[BaseModel] | None:
    """The model that validates the object at ``loc`` (for "did you mean" on a misspelt key)."""
    model: Any = HallFile
    for part in loc:
        if isinstance(part, int):
            continue
        if not (isinstance(model, type) and issubclass(model, BaseModel)) or part not in model.model_fields:
            return None
        model = _model_of(model.model_fields[part].annotation)
    return model if isinstance(model, type) and issubclass(model, BaseModel) else None


def _model_of(annotation: Any) -> Any:
    """The model inside ``list[X]``, ``X | None``, ``Annotated[X, …]``."""
    origin = typing.get_origin(annotation)
    if origin in (list, typing.Union, types.UnionType, typing.Annotated):
        for arg in typing.get_args(annotation):
            inner = _model_of(arg)
            if isinstance(inner, type) and issubclass(inner, BaseModel):
                return inner
    return annotation


def _cross_check_parts(raw: Mapping[str, Any], today: date | None) -> list[HallFileError]:
    """Check references among the items that validated on their own."""
    parts = Parts()
    if isinstance(raw.get("hall"), dict):
        parts.hall = _try(HallInfo, raw["hall"])
    if isinstance(raw.get("hours"), dict):
        parts.hours = _try(Hours, raw["hours"])
    if isinstance(raw.get("policies"), dict):
        parts.policies = _try(Policies, raw["policies"])
    for section, key in KEYS.items():
        items = raw.get(section, [])
        if section not in raw and HallFile.model_fields[section].is_required():
            parts.broken[section] = {UNREADABLE}  # reported as required; references to it are guesses
        elif not isinstance(items, list):
            parts.broken[section] = {UNREADABLE}
            continue
        good: list[tuple[int, Any]] = getattr(parts, section)
        for i, item in enumerate(items):
            model = _try(_ITEM_MODELS[section], item)
            if model is not None:
                good.append((i, model))
            elif isinstance(item, dict) and key in item:
                parts.broken.setdefault(section, set()).add(str(item[key]))
                parts.broken_raw.setdefault(section, []).append(item)
            else:
                parts.broken[section] = {UNREADABLE}
    return [HallFileError(format_loc(loc), msg) for loc, msg in cross_check(parts, today=today)]


def _try(model: type[BaseModel], data: Any) -> Any:
    try:
        return TypeAdapter(model).validate_python(data)
    except ValidationError:
        return None


def _unique(errors: list[HallFileError]) -> list[HallFileError]:
    return list(dict.fromkeys(errors))


def _ordered(errors: list[HallFileError]) -> list[HallFileError]:
    """By section in file order, then item index; the order found within one item is kept."""

    def key(e: HallFileError) -> tuple[int, int]:
        m = re.match(r"([a-z_]+)(?:\[(\d+)\])?", e.path)
        if m is None:
            return (-1, 0)
        return (_SECTION_ORDER.get(m[1], len(_SECTION_ORDER)), int(m[2] or -1))

    return sorted(errors, key=key)
