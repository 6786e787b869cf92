"""Files only their owner may read (passwords, keys, credentials), written whole."""

from __future__ import annotations

import contextlib
import os
from pathlib import Path

PRIVATE_MODE = 0o600


def write_private(path: Path, content: str, owner: tuple[int, int] | None = None) -> None:
    """``content`` into ``path`` with mode exactly 0600, whatever the umask or the mode of a file that
    was there, and owned by ``owner`` (uid, gid) when given. Written beside it, synced and renamed
    over it: a reader finds the old file or the new one, never a part, and never a moment where the
    secret is readable by others (``touch(mode=…)`` keeps an existing file's mode)."""
    tmp = path.with_name(f".{path.name}.tmp")
    with contextlib.suppress(FileNotFoundError):
        tmp.unlink()
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, PRIVATE_MODE)
    with os.fdopen(fd, "wb") as fh:
        os.fchmod(fd, PRIVATE_MODE)  # exactly 0600, whatever the umask
        if owner is not None:
            os.fchown(fd, *owner)
        fh.write(content.encode("utf-8"))
        fh.flush()
        os.fsync(fd)
    tmp.replace(path)
