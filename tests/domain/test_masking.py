"""Masking names, ID and phone numbers."""

from __future__ import annotations

import pytest

from queue_server.domain.masking import COMPOUND_SURNAMES, mask_id_number, mask_name, mask_phone


@pytest.mark.parametrize(
    ("name", "masked"),
    [
        ("张三", "张*"),
        ("李小龙", "李**"),
        ("欧阳娜娜", "欧阳**"),
        ("司马光", "司马*"),
        ("诸葛亮", "诸葛*"),
        ("上官婉儿", "上官**"),
        ("令狐冲", "令狐*"),
        ("欧阳", "欧*"),  # two characters: surname 欧 and given name 阳
        ("单于飞", "单**"),  # 单 + 于飞, not the ancient compound 单于
        ("张", "张"),
        (" 王五 ", "王*"),
        ("", ""),
        ("   ", ""),
        ("买买提·艾力", "买**·**"),
        ("John Smith", "J*** *****"),
    ],
)
def test_mask_name(name: str, masked: str) -> None:
    assert mask_name(name) == masked


def test_required_compound_surnames_are_known() -> None:
    required = [
        "欧阳",
        "司马",
        "诸葛",
        "上官",
        "东方",
        "皇甫",
        "夏侯",
        "尉迟",
        "公孙",
        "慕容",
        "长孙",
        "宇文",
        "司徒",
        "令狐",
    ]
    assert set(required) <= COMPOUND_SURNAMES
    assert all(len(s) == 2 for s in COMPOUND_SURNAMES)


def test_mask_id_and_phone() -> None:
    assert mask_id_number("11010519491231002X") == "1101**********002X"
    assert mask_id_number("1234") == "****"
    assert mask_phone("13812345678") == "138****5678"
