"""Hall file errors: every problem found, each with the path of the thing it is about.

ESPHome-style reporting: validation never stops at the first problem; each one names where it is
(``matters[3].service``) and, for a misspelt name, suggests the closest known one.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable, Sequence
from typing import NamedTuple

Loc = tuple[str | int, ...]

# Short code lists (service letters A–G, window numbers) are listed in full when nothing is close:
# difflib finds no match for single letters, and the whole list is then the useful hint.
_LIST_KNOWN_UP_TO = 12


class HallFileError(NamedTuple):
    """One problem in a hall file: ``path`` as ``matters[3].service`` ("" for the whole file)."""

    path: str
    message: str

    def __str__(self) -> str:
        return f"{self.path}: {self.message}" if self.path else self.message


class ProblemsError(ValueError):
    """Raised by a validator that found several problems; each location is relative to the validated object.

    Pydantic keeps the exception in the error's context, so the file's report can give each problem its
    own full path instead of one line for the whole object.
    """

    def __init__(self, problems: Sequence[tuple[Loc, str]]) -> None:
        self.problems = list(problems)
        super().__init__("; ".join(f"{format_loc(loc) or '(file)'}: {msg}" for loc, msg in self.problems))


def format_loc(loc: Iterable[str | int]) -> str:
    """``("matters", 3, "service")`` → ``matters[3].service``."""
    out = ""
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += f".{part}" if out else part
    return out


def suggest(value: str, known: Iterable[str]) -> str:
    """A "did you mean" hint for ``value`` among ``known``, or the short list of known values, or ""."""
    candidates = sorted(set(known))
    if not candidates:
        return ""
    folded = {c.casefold(): c for c in candidates}
    if value.casefold() in folded:
        return f"; did you mean {folded[value.casefold()]!r}?"
    close = difflib.get_close_matches(value, candidates, n=1, cutoff=0.6)
    if close:
        return f"; did you mean {close[0]!r}?"
    if len(candidates) <= _LIST_KNOWN_UP_TO:
        return "; known: " + ", ".join(candidates)
    return ""


def unknown(what: str, value: str, known: Iterable[str]) -> str:
    """``unknown service 'H'; known: A, B, C``."""
    return f"unknown {what} {value!r}{suggest(value, known)}"
