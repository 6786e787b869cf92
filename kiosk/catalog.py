"""The catalog (services and matters with their eight disclosures), cached on disk with its etag.

The kiosk paints from the cache at boot, before the server answers, and asks ``catalog.get`` with the
cached etag whenever the retained hall state names another ``catalog_etag``: an unchanged catalog
costs one small ``not_modified`` reply.
"""

from __future__ import annotations

import logging
import os
import threading
from dataclasses import dataclass
from pathlib import Path

from pypinyin import Style, lazy_pinyin

from queue_server.protocol.codec import ProtocolError, decode, encode
from queue_server.protocol.messages import CatalogResult, MatterInfo

log = logging.getLogger(__name__)


class CatalogCache:
    """The last catalog the server sent, in memory and in ``path`` (written atomically)."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._lock = threading.Lock()
        self._catalog: CatalogResult | None = None
        self._index: list[_Entry] = []
        try:
            self._set(decode(CatalogResult, path.read_bytes()))
        except FileNotFoundError:
            pass
        except (OSError, ProtocolError) as exc:
            log.warning("catalog cache %s unreadable, starting empty: %s", path, exc)

    @property
    def catalog(self) -> CatalogResult | None:
        with self._lock:
            return self._catalog

    @property
    def etag(self) -> str | None:
        with self._lock:
            return self._catalog.etag if self._catalog is not None else None

    def update(self, result: CatalogResult) -> bool:
        """Take a ``catalog.get`` result; True when the catalog changed (not a ``not_modified``)."""
        if result.not_modified:
            return False
        tmp = self.path.with_suffix(".tmp")
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with tmp.open("wb") as f:
            f.write(encode(result))
            f.flush()
            os.fsync(f.fileno())
        tmp.replace(self.path)
        self._set(result)
        return True

    def matter(self, code: str) -> MatterInfo | None:
        with self._lock:
            catalog = self._catalog
        if catalog is None:
            return None
        return next((m for m in catalog.matters if m.code == code), None)

    def matters_of(self, service: str) -> list[MatterInfo]:
        with self._lock:
            catalog = self._catalog
        return [m for m in catalog.matters if m.service == service] if catalog is not None else []

    def search(self, query: str, limit: int = 12) -> list[MatterInfo]:
        """Matters whose name holds ``query`` (Chinese), or whose pinyin or initials do (letters).

        ``sfz`` and ``shenfenzheng`` both find 身份证; a match at the start ranks first.
        """
        q = "".join(query.split()).lower()
        if not q:
            return []
        with self._lock:
            index = list(self._index)
        ranked: list[tuple[int, int, MatterInfo]] = []
        for order, entry in enumerate(index):
            rank = entry.rank(q)
            if rank is not None:
                ranked.append((rank, order, entry.matter))
        ranked.sort(key=lambda r: (r[0], r[1]))
        return [m for _, _, m in ranked[:limit]]

    def _set(self, catalog: CatalogResult) -> None:
        index = [_Entry.of(m) for m in catalog.matters]
        with self._lock:
            self._catalog = catalog
            self._index = index


@dataclass(frozen=True, slots=True)
class _Entry:
    matter: MatterInfo
    name: str
    initials: str
    spelled: str

    @classmethod
    def of(cls, matter: MatterInfo) -> _Entry:
        initials = matter.pinyin_initials.lower() or pinyin_initials(matter.name)
        spelled = "".join(lazy_pinyin(matter.name, style=Style.NORMAL)).lower()
        return cls(matter, matter.name.lower(), initials, spelled)

    def rank(self, q: str) -> int | None:
        """0 for a match at the start, 1 inside, None for no match."""
        best: int | None = None
        for text in (self.name, self.initials, self.spelled):
            at = text.find(q)
            if at == 0:
                return 0
            if at > 0:
                best = 1
        return best


def pinyin_initials(text: str) -> str:
    """The first letter of each syllable: 身份证办理 -> sfzbl (letters and digits kept as they are)."""
    parts = lazy_pinyin(text, style=Style.FIRST_LETTER, errors="default")
    return "".join(ch for p in parts for ch in p if ch.isascii() and ch.isalnum()).lower()
