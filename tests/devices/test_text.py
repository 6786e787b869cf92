"""Display width and wrapping by columns (pure)."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from devices.escpos.text import display_width, needs_image, sanitize, truncate, wrap


def test_widths() -> None:
    assert display_width("A023") == 4
    assert display_width("前面还有 5 人") == 13
    assert display_width("，。！") == 6
    assert display_width("√□") == 4  # GB2312 symbols print full width in Chinese mode


def test_wrap_chinese_by_columns() -> None:
    assert wrap("一二三四五六七八九十", 8) == ["一二三四", "五六七八", "九十"]
    assert wrap("一二三四五六七八九十", 9) == ["一二三四", "五六七八", "九十"]


def test_wrap_keeps_ascii_words_and_breaks_long_ones() -> None:
    assert wrap("请携带 ID card 原件", 12) == ["请携带 ID", "card 原件"]
    assert wrap("https://hall.example.cn/t/abcdef", 16) == ["https://hall.exa", "mple.cn/t/abcdef"]


def test_wrap_never_starts_a_line_with_closing_punctuation() -> None:
    lines = wrap("一二三四五六七，八九", 14)
    assert lines == ["一二三四五六", "七，八九"]
    assert wrap("一二三（四五六", 8) == ["一二三", "（四五六"]  # opening bracket moves down


def test_punctuation_only_lines_still_wrap() -> None:
    assert wrap("，。！" * 4, 8) == ["，。！，", "。！，。", "！，。！"]
    assert wrap("——————", 6) == ["———", "———"]


def test_prefixes_and_hanging_indent() -> None:
    assert wrap("一二三四五六", 8, first_prefix="1. ", next_prefix="   ") == ["1. 一二", "   三四", "   五六"]
    with pytest.raises(ValueError):
        wrap("x", 4, first_prefix="1234")


def test_paragraphs_and_blank_lines() -> None:
    assert wrap("一二\n\n三四", 8) == ["一二", "", "三四"]


def test_sanitize_removes_control_and_format_characters() -> None:
    assert sanitize("A\x1b@B\u200bC\tD") == "A @BC D"
    assert needs_image("𠈌") and not needs_image("中文，。") and not needs_image("abc")


def test_truncate() -> None:
    assert truncate("一二三四五", 8) == "一二三…"  # the ellipsis is full width too
    assert truncate("一二三四五", 7) == "一二…"
    assert truncate("abc", 3) == "abc"


@given(st.text(max_size=200), st.integers(min_value=4, max_value=48))
def test_wrap_fits_and_keeps_every_visible_character(text: str, columns: int) -> None:
    lines = wrap(text, columns)
    assert all(display_width(line) <= columns for line in lines)
    original = "".join(sanitize(text).split())
    assert "".join("".join(lines).split()) == original
