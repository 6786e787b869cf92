"""Private files: exactly 0600 whatever the umask or the mode of the file they replace."""

from __future__ import annotations

import os
from pathlib import Path

from queue_server.files import write_private


def test_a_private_file_replaces_a_readable_one_with_mode_0600(tmp_path: Path) -> None:
    path = tmp_path / "secret"
    path.write_text("old")
    path.chmod(0o644)  # a file left by an earlier run, readable by all
    previous = os.umask(0)
    try:
        write_private(path, "new password\n")
    finally:
        os.umask(previous)
    assert path.read_text() == "new password\n"
    assert path.stat().st_mode & 0o777 == 0o600
    assert [p.name for p in tmp_path.iterdir()] == ["secret"]  # no temporary file left beside it
