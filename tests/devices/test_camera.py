"""The document camera: the page pipeline (sheet found and flattened, tilt undone, a JPEG within its
budget), the folder simulator, and the UVC driver's failure on a camera that is not there."""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
import pytest

from devices.camera import (
    JPEG_MAGIC,
    CameraConfig,
    CameraError,
    FolderCamera,
    UvcCamera,
    capture_page,
    deskew,
    encode_jpeg,
    ink_angle,
    sample_page,
    sheet_corners,
    straighten,
    write_sample_pages,
)


def _rule_tilt(image: np.ndarray) -> float:
    """The tilt in degrees of the page's ruled lines, by the longest line's end points."""
    gray = cv2.cvtColor(image, cv2.COLOR_BGR2GRAY)
    edges = cv2.Canny(gray, 50, 150)
    lines = cv2.HoughLinesP(edges, 1, np.pi / 720, 80, minLineLength=gray.shape[1] // 3, maxLineGap=5)
    assert lines is not None
    x1, y1, x2, y2 = max(lines.reshape(-1, 4), key=lambda seg: abs(seg[2] - seg[0]))
    return float(np.degrees(np.arctan2(y2 - y1, x2 - x1)))


@pytest.mark.parametrize("angle", [7.0, -5.0, 0.0])
def test_a_tilted_sheet_on_the_mat_is_cut_out_and_flattened(angle: float) -> None:
    frame = sample_page(3, angle=angle)
    assert abs(_rule_tilt(frame) - (-angle)) < 1.0  # the lines lie as tilted as the sheet
    corners = sheet_corners(frame)
    assert corners is not None
    page = deskew(frame)
    height, width = page.shape[:2]
    # The sheet is 55 % x 80 % of the 1600 x 1200 frame: the result is the sheet, not the mat.
    assert abs(width - 880) < 12 and abs(height - 960) < 12
    assert abs(_rule_tilt(page)) < 0.6
    assert float(page.mean()) > 180  # paper, not the dark mat


def test_a_page_filling_the_frame_is_turned_level_by_its_ink() -> None:
    flat = deskew(sample_page(4, angle=0.0))
    h, w = flat.shape[:2]
    turned = cv2.warpAffine(
        flat, cv2.getRotationMatrix2D((w / 2, h / 2), 4.0, 1.0), (w, h), borderValue=(245, 245, 245)
    )
    assert sheet_corners(turned) is None  # no mat around it: nothing to cut out
    assert abs(ink_angle(turned) + 4.0) < 0.8
    assert abs(_rule_tilt(straighten(turned))) < 0.8
    assert straighten(flat) is flat  # level already: left alone


def test_the_jpeg_fits_its_budget_and_is_a_jpeg() -> None:
    page = deskew(sample_page(5))
    noisy = np.clip(page.astype(np.int16) + np.random.default_rng(1).integers(-40, 40, page.shape), 0, 255)
    noisy = noisy.astype(np.uint8)
    for budget in (300_000, 120_000, 60_000):
        encoded = encode_jpeg(noisy, budget)
        assert len(encoded.jpeg) <= budget and encoded.jpeg.startswith(JPEG_MAGIC)
        decoded = cv2.imdecode(np.frombuffer(encoded.jpeg, np.uint8), cv2.IMREAD_COLOR)
        assert decoded is not None and decoded.shape[:2] == (encoded.height, encoded.width)
    with pytest.raises(ValueError, match="does not fit"):
        encode_jpeg(noisy, 2_000)


def test_the_folder_simulator_gives_its_pictures_round_and_round(tmp_path: Path) -> None:
    camera = FolderCamera(tmp_path / "pages")
    with pytest.raises(CameraError):
        camera.grab()
    write_sample_pages(camera.folder, 2)
    (camera.folder / "notes.txt").write_text("not a picture")
    first, second, third = (capture_page(camera, 200_000) for _ in range(3))
    assert first.jpeg != second.jpeg and third.jpeg == first.jpeg
    assert camera.grabs == 3


def test_a_camera_that_is_not_there_is_a_camera_error(tmp_path: Path) -> None:
    camera = UvcCamera(CameraConfig(device=str(tmp_path / "video-none"), warmup_frames=0))
    with pytest.raises(CameraError) as caught:
        camera.grab()
    assert caught.value.code == "camera_error"
