"""A device's boot counter: its Last Will and its status carry it, so an old session's Will arriving
after the new session's ``online`` loses (docs/design/PROTOCOL.md)."""

from __future__ import annotations

from pathlib import Path


def next_boot(counter_file: Path) -> int:
    """Increment and return the device's boot counter, kept on disk across restarts."""
    try:
        boot = int(counter_file.read_text().strip() or 0) + 1
    except (FileNotFoundError, ValueError):
        boot = 1
    counter_file.parent.mkdir(parents=True, exist_ok=True)
    tmp = counter_file.with_suffix(".tmp")
    tmp.write_text(str(boot))
    tmp.replace(counter_file)
    return boot
