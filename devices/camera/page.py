"""A captured page as a pure pipeline: find the sheet, straighten it, encode a size-bounded JPEG.

Nothing here touches a device: ``deskew`` and ``encode_jpeg`` take and give arrays and bytes, so tests
run them on generated pictures. The sheet is found as the largest four-cornered contour (a document
on the camera's dark mat) and warped flat; a picture without one (a page that fills the frame) is
turned upright by the angle of its ink's ``minAreaRect`` instead.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import cv2
import numpy as np
from cv2.typing import MatLike
from numpy.typing import NDArray

# A BGR (or grey) picture as OpenCV hands it over.
Image = MatLike

# A sheet smaller than this share of the frame is a smudge or a finger, not the document.
_MIN_SHEET_AREA = 0.2
# Below this tilt (degrees) a page is left alone: rotating costs sharpness and gains nothing.
_MIN_TILT_DEG = 0.5
# JPEG qualities tried in turn until the page fits its budget; then the page is scaled down.
_QUALITIES = (85, 75, 65, 55, 45)
_MIN_SIDE = 480

JPEG_MAGIC = b"\xff\xd8\xff"


@dataclass(frozen=True, slots=True)
class Page:
    """One page ready to upload: JPEG bytes and their pixel size."""

    jpeg: bytes
    width: int
    height: int


def deskew(frame: Image) -> Image:
    """The sheet in ``frame`` cut out and flattened, or ``frame`` turned upright by its ink's angle."""
    corners = sheet_corners(frame)
    if corners is not None:
        return warp_sheet(frame, corners)
    return straighten(frame)


def sheet_corners(frame: Image) -> NDArray[np.float32] | None:
    """The four corners of the largest light quadrilateral (top-left, top-right, bottom-right,
    bottom-left), or None when there is none big enough."""
    gray = cv2.cvtColor(frame, cv2.COLOR_BGR2GRAY) if frame.ndim == 3 else frame
    blur = cv2.GaussianBlur(gray, (5, 5), 0)
    _, mask = cv2.threshold(blur, 0, 255, cv2.THRESH_BINARY + cv2.THRESH_OTSU)
    contours, _ = cv2.findContours(mask, cv2.RETR_EXTERNAL, cv2.CHAIN_APPROX_SIMPLE)
    if not contours:
        return None
    largest = max(contours, key=cv2.contourArea)
    height, width = gray.shape[:2]
    area = cv2.contourArea(largest)
    if area < _MIN_SHEET_AREA * width * height or area > 0.98 * width * height:
        return None
    approx = cv2.approxPolyDP(largest, 0.02 * cv2.arcLength(largest, True), True)
    if len(approx) != 4:
        return None
    return order_corners(approx.reshape(4, 2).astype(np.float32))


def order_corners(points: NDArray[np.float32]) -> NDArray[np.float32]:
    """Four points ordered top-left, top-right, bottom-right, bottom-left."""
    total = points.sum(axis=1)
    diff = np.diff(points, axis=1).ravel()
    return np.array(
        [
            points[np.argmin(total)],
            points[np.argmin(diff)],
            points[np.argmax(total)],
            points[np.argmax(diff)],
        ],
        dtype=np.float32,
    )


def warp_sheet(frame: Image, corners: NDArray[np.float32]) -> Image:
    """The quadrilateral ``corners`` of ``frame`` mapped onto an upright rectangle of its own size."""
    tl, tr, br, bl = corners
    width = int(max(np.linalg.norm(br - bl), np.linalg.norm(tr - tl)))
    height = int(max(np.linalg.norm(tr - br), np.linalg.norm(tl - bl)))
    target = np.array([[0, 0], [width - 1, 0], [width - 1, height - 1], [0, height - 1]], dtype=np.float32)
    matrix = cv2.getPerspectiveTransform(corners, target)
    warped: Image = cv2.warpPerspective(frame, matrix, (width, height))
    return warped


def ink_angle(frame: Image) -> float:
    """The tilt in degrees (-45..45) of the dark marks on a light page, by their minimum-area box."""
    gray = cv2.cvtColor(frame, cv2.COLOR_BGR2GRAY) if frame.ndim == 3 else frame
    _, ink = cv2.threshold(gray, 0, 255, cv2.THRESH_BINARY_INV + cv2.THRESH_OTSU)
    points = cv2.findNonZero(ink)
    if points is None or len(points) < 10:
        return 0.0
    (_, _), (w, h), angle = cv2.minAreaRect(points)
    # OpenCV gives (0, 90]; the box's long side decides which way is "level".
    if w < h:
        angle -= 90.0
    if angle > 45.0:
        angle -= 90.0
    if angle < -45.0:
        angle += 90.0
    return float(angle)


def straighten(frame: Image) -> Image:
    """``frame`` rotated so that its ink's box is level; unchanged below half a degree of tilt."""
    angle = ink_angle(frame)
    if abs(angle) < _MIN_TILT_DEG:
        return frame
    height, width = frame.shape[:2]
    matrix = cv2.getRotationMatrix2D((width / 2, height / 2), angle, 1.0)
    rotated: Image = cv2.warpAffine(
        frame, matrix, (width, height), flags=cv2.INTER_CUBIC, borderMode=cv2.BORDER_REPLICATE
    )
    return rotated


def encode_jpeg(image: Image, max_bytes: int, max_side: int = 2000) -> Page:
    """``image`` as a JPEG of at most ``max_bytes``: first at most ``max_side`` pixels on its long side,
    then lower qualities, then smaller sizes (never below 480 px). ValueError if it still does not fit."""
    current = _fit(image, max_side)
    while True:
        for quality in _QUALITIES:
            data = _jpeg(current, quality)
            if len(data) <= max_bytes:
                height, width = current.shape[:2]
                return Page(data, width, height)
        long_side = max(current.shape[:2])
        if long_side <= _MIN_SIDE:
            raise ValueError(f"a page does not fit in {max_bytes} bytes")
        current = _fit(current, max(_MIN_SIDE, int(long_side * 0.75)))


def _fit(image: Image, max_side: int) -> Image:
    height, width = image.shape[:2]
    scale = max_side / max(height, width)
    if scale >= 1:
        return image
    size = (max(1, round(width * scale)), max(1, round(height * scale)))
    resized: Image = cv2.resize(image, size, interpolation=cv2.INTER_AREA)
    return resized


def _jpeg(image: Image, quality: int) -> bytes:
    params: list[Any] = [int(cv2.IMWRITE_JPEG_QUALITY), quality, int(cv2.IMWRITE_JPEG_OPTIMIZE), 1]
    ok, buffer = cv2.imencode(".jpg", image, params)
    if not ok:
        raise ValueError("JPEG encoding failed")
    return bytes(buffer.tobytes())


def process(frame: Image, max_bytes: int, max_side: int = 2000) -> Page:
    """A camera frame as the page the kiosk shows and uploads: de-skewed, then a bounded JPEG."""
    return encode_jpeg(deskew(frame), max_bytes, max_side)
