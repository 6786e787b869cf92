"""Masking personal data for screens and tickets: names as 张*, ID and phone numbers middle-hidden."""

from __future__ import annotations

MASK = "*"

# Compound (two-character) surnames; the family name stays readable, the given name is hidden.
# 单于 is left out on purpose: 单 + a given name starting with 于 is far more common today.
_COMPOUND_SURNAMES_TEXT = (
    "欧阳 司马 诸葛 上官 东方 皇甫 夏侯 尉迟 公孙 慕容 长孙 宇文 司徒 令狐 端木 独孤 南宫 西门 轩辕 百里 "
    "呼延 澹台 公冶 宗政 濮阳 淳于 太叔 申屠 闻人 万俟 赫连 钟离 鲜于 闾丘 司空 亓官 司寇 子车 颛孙 "
    "巫马 公西 漆雕 乐正 壤驷 公良 拓跋 夹谷 宰父 谷梁 段干 东郭 南门 羊舌 微生 梁丘 左丘 东门 第五 "
    "公羊 仲孙 叔孙 即墨 完颜"
)
COMPOUND_SURNAMES = frozenset(_COMPOUND_SURNAMES_TEXT.split())
# Separators kept as they are: the middle dot of transliterated names (买买提·艾力), spaces, hyphens.
_SEPARATORS = frozenset("·•・.．- ")


def _surname_length(name: str) -> int:
    if len(name) > 2 and name[:2] in COMPOUND_SURNAMES:
        return 2
    return 1


def mask_name(name: str) -> str:
    """Hide the given name: "张三" -> "张*", "欧阳娜娜" -> "欧阳**", "买买提·艾力" -> "买**·**".

    A one-character name is shown as is (there is nothing after the surname); "" stays "".
    """
    name = name.strip()
    if not name:
        return ""
    keep = _surname_length(name)
    return name[:keep] + "".join(ch if ch in _SEPARATORS else MASK for ch in name[keep:])


def mask_id_number(number: str, head: int = 4, tail: int = 4) -> str:
    """Hide the middle of an ID number (birth date included): "640402199001011234" -> "6404**********1234"."""
    number = number.strip()
    if len(number) <= head + tail:
        return MASK * len(number)
    return number[:head] + MASK * (len(number) - head - tail) + number[-tail:]


def mask_phone(number: str) -> str:
    """Hide the middle four digits of a mobile number: "13812345678" -> "138****5678"."""
    return mask_id_number(number, head=3, tail=4)
