"""The document camera simulator: frames read from a folder of pictures, in name order, round and round.

``--simulate-devices`` and the tests point it at a folder; ``write_sample_pages`` fills one with pages
as a camera would see them (a white sheet with lines of "text", tilted, on a dark mat), so the
de-skew step has something real to do.
"""

from __future__ import annotations

import threading
from pathlib import Path

import cv2
import numpy as np

from devices.camera.page import Image
from devices.errors import CameraError

SUFFIXES = frozenset({".jpg", ".jpeg", ".png", ".bmp"})


class FolderCamera:
    """A :class:`~devices.camera.camera.DocumentCamera` whose frames are the pictures in ``folder``."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self._next = 0
        self._lock = threading.Lock()
        self.grabs = 0

    def pictures(self) -> list[Path]:
        if not self.folder.is_dir():
            return []
        return sorted(p for p in self.folder.iterdir() if p.suffix.lower() in SUFFIXES)

    def grab(self) -> Image:
        with self._lock:
            pictures = self.pictures()
            if not pictures:
                raise CameraError("no pictures in the simulated camera's folder", folder=str(self.folder))
            path = pictures[self._next % len(pictures)]
            self._next += 1
            frame = cv2.imread(str(path), cv2.IMREAD_COLOR)
            if frame is None:
                raise CameraError("simulated camera picture unreadable", picture=path.name)
            self.grabs += 1
            image: Image = frame
            return image


def sample_page(seed: int, angle: float = 7.0, size: tuple[int, int] = (1600, 1200)) -> Image:
    """A sheet with ruled "text" lines, turned by ``angle`` degrees, on a dark mat (``size``: w, h)."""
    width, height = size
    rng = np.random.default_rng(seed)
    sheet_w, sheet_h = int(width * 0.55), int(height * 0.8)
    sheet = np.full((sheet_h, sheet_w, 3), 245, dtype=np.uint8)
    cv2.rectangle(sheet, (40, 40), (sheet_w - 40, 110), (40, 40, 40), -1)
    y = 160
    while y < sheet_h - 60:
        length = int(rng.integers(sheet_w // 3, sheet_w - 80))
        cv2.line(sheet, (40, y), (40 + length, y), (30, 30, 30), 6)
        y += 36
    cv2.putText(sheet, f"PAGE {seed}", (60, 95), cv2.FONT_HERSHEY_SIMPLEX, 1.6, (250, 250, 250), 3)
    frame = np.full((height, width, 3), 35, dtype=np.uint8)
    x0, y0 = (width - sheet_w) // 2, (height - sheet_h) // 2
    frame[y0 : y0 + sheet_h, x0 : x0 + sheet_w] = sheet
    matrix = cv2.getRotationMatrix2D((width / 2, height / 2), angle, 1.0)
    rotated: Image = cv2.warpAffine(frame, matrix, (width, height), borderValue=(35, 35, 35))
    return rotated


def write_sample_pages(folder: Path, count: int = 2) -> list[Path]:
    """``count`` sample pages as PNG files in ``folder`` (made if missing), tilted alternately."""
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for i in range(count):
        path = folder / f"page-{i + 1:02d}.png"
        cv2.imwrite(str(path), sample_page(i + 1, angle=7.0 if i % 2 == 0 else -5.0))
        paths.append(path)
    return paths
