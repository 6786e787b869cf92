"""Text on a thermal printer: display width, wrapping by columns, and what the font ROM can print.

In Chinese mode a printer reads every byte >= 0x80 as the first of a two-byte GB code and prints it
full width (24 dots, two columns of font A); ASCII prints half width. So the column width of a
character is simply 1 for ASCII and 2 for everything else, on the printer and in our image fallback.
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

# Kinsoku (避头尾): never start a line with closing punctuation, never end one with opening punctuation.
NO_LINE_START = frozenset("，。、；：？！）》」』】〕〉’”％…,.;:?!)]}%")
NO_LINE_END = frozenset("（《「『【〔〈‘“([{")

_ASCII_WORD = re.compile(r"[!-~]+| |[^\x00-\x7f]")


def char_width(ch: str) -> int:
    return 1 if ord(ch) < 0x80 else 2


def display_width(text: str) -> int:
    # Every non-ASCII character counts twice; counting ASCII by encoding keeps the loop in C.
    return 2 * len(text) - len(text.encode("ascii", "ignore"))


def needs_image(text: str) -> bool:
    """Whether a line holds a character (rare name character, symbol) that a GBK font ROM lacks."""
    # Two GB18030 bytes per wide character unless one of them takes four.
    return len(text.encode("gb18030")) != display_width(text)


@lru_cache(maxsize=4096)
def sanitize(text: str) -> str:
    """One printable line: control bytes could inject printer commands, format characters print as junk."""
    if text.isascii() and text.isprintable():
        return text
    out: list[str] = []
    for ch in text:
        category = unicodedata.category(ch)
        if category in ("Cc", "Zl", "Zp"):
            out.append(" ")
        elif category in ("Cf", "Mn", "Me", "Cs", "Co", "Cn"):
            continue
        else:
            out.append(ch)
    return "".join(out)


def _units(text: str, max_width: int) -> list[str]:
    """Units that stay together: an ASCII word (when it fits a line), one space, one wide character."""
    units: list[str] = []
    for match in _ASCII_WORD.finditer(text):
        unit = match.group()
        if len(unit) > 1 and len(unit) > max_width:
            units.extend(unit)  # a URL or a long code: break it anywhere
        else:
            units.append(unit)
    return units


def wrap(text: str, columns: int, first_prefix: str = "", next_prefix: str = "") -> list[str]:
    """Lines of at most ``columns`` display columns; ``next_prefix`` indents continuation lines.

    Explicit newlines start new lines; an empty paragraph gives an empty line.
    """
    if columns - max(display_width(first_prefix), display_width(next_prefix)) < 2:
        raise ValueError("no room for text after the prefix")
    lines: list[str] = []
    for paragraph in sanitize_lines(text):
        first = first_prefix if not lines else next_prefix
        lines.extend(_wrap_paragraph(paragraph, columns, first, next_prefix))
    return lines


def sanitize_lines(text: str) -> list[str]:
    return [sanitize(part) for part in text.replace("\r\n", "\n").split("\n")]


def _wrap_paragraph(text: str, columns: int, first_prefix: str, next_prefix: str) -> list[str]:
    narrowest = columns - max(display_width(first_prefix), display_width(next_prefix))
    lines: list[str] = []
    prefix = first_prefix
    current: list[str] = []
    used = display_width(prefix)
    for unit in _units(text, narrowest):
        width = display_width(unit)
        if unit == " " and not current and lines:
            continue  # no leading space on a continuation line
        if used + width <= columns:
            current.append(unit)
            used += width
            continue
        carry: list[str] = []
        if unit in NO_LINE_START and len(current) > 1 and current[-1] not in NO_LINE_START:
            carry.append(current.pop())
        while len(current) > 1 and current[-1] in NO_LINE_END:
            carry.insert(0, current.pop())
        if display_width(next_prefix) + display_width("".join(carry)) + width > columns:
            current.extend(carry)  # the carry would not fit either: break plainly
            carry = []
        lines.append((prefix + "".join(current)).rstrip())
        prefix = next_prefix
        current = [*carry, unit] if unit != " " else carry
        used = display_width(prefix) + display_width("".join(current))
    lines.append((prefix + "".join(current)).rstrip())
    return lines


def truncate(text: str, columns: int, ellipsis: str = "…") -> str:
    """The longest prefix of ``text`` that fits ``columns``, with an ellipsis when cut."""
    if display_width(text) <= columns:
        return text
    room = columns - display_width(ellipsis)
    out: list[str] = []
    used = 0
    for ch in text:
        if used + char_width(ch) > room:
            break
        out.append(ch)
        used += char_width(ch)
    return "".join(out) + ellipsis
