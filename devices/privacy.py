"""Personal data on paper and in storage: masked for people, keyed hashes for machines."""

from __future__ import annotations

import hashlib
import hmac

MIN_KEY_BYTES = 16


def mask_id(number: str) -> str:
    """``1101**********1234``: the first and last four characters, the rest starred."""
    number = number.strip().upper()
    if len(number) <= 8:
        return "*" * len(number)
    return number[:4] + "*" * (len(number) - 8) + number[-4:]


def id_hash(id_number: str, key: bytes) -> str:
    """HMAC-SHA256 of the normalised ID number under the hall's secret key, as 64 hex characters.

    The same person gets the same hash in one hall (per-ID daily limits work) but a leaked table
    cannot be reversed by hashing all 10^17 candidate numbers without the key.
    """
    if len(key) < MIN_KEY_BYTES:
        raise ValueError(f"the ID hash key must be at least {MIN_KEY_BYTES} bytes")
    normalised = id_number.strip().upper().encode("ascii")
    return hmac.new(key, normalised, hashlib.sha256).hexdigest()


# Mirrors queue_server.domain.masking (devices may not import the server): screens and paper must
# mask a name the same way. A test compares the two.
_COMPOUND_SURNAMES_TEXT = (
    "欧阳 司马 诸葛 上官 东方 皇甫 夏侯 尉迟 公孙 慕容 长孙 宇文 司徒 令狐 端木 独孤 南宫 西门 轩辕 百里 "
    "呼延 澹台 公冶 宗政 濮阳 淳于 太叔 申屠 闻人 万俟 赫连 钟离 鲜于 闾丘 司空 亓官 司寇 子车 颛孙 "
    "巫马 公西 漆雕 乐正 壤驷 公良 拓跋 夹谷 宰父 谷梁 段干 东郭 南门 羊舌 微生 梁丘 左丘 东门 第五 "
    "公羊 仲孙 叔孙 即墨 完颜"
)
_COMPOUND_SURNAMES = frozenset(_COMPOUND_SURNAMES_TEXT.split())
_SEPARATORS = frozenset("·•・.．- ")


def mask_name(name: str) -> str:
    """Hide the given name: 张三 → 张*, 欧阳娜娜 → 欧阳**, 买买提·艾力 → 买**·**. Idempotent."""
    name = name.strip()
    if not name:
        return ""
    keep = 2 if len(name) > 2 and name[:2] in _COMPOUND_SURNAMES else 1
    return name[:keep] + "".join(ch if ch in _SEPARATORS else "*" for ch in name[keep:])
