"""The document camera (高拍仪) seam, its configuration, and the UVC driver over OpenCV.

A 高拍仪 is a UVC webcam on a stand looking down at a dark mat: ``UvcCamera`` opens it through
OpenCV's V4L2 backend (by ``/dev/v4l/by-id/…`` path or index), asks for its still resolution, drops
the first frames (auto exposure settles on them) and grabs one frame per ``capture()``. The camera is
opened per capture and released after it: a kiosk takes a few pictures a visit, and a device held
open for hours is the one that stops answering after a USB hiccup.

``capture_page`` runs the pure pipeline (``devices.camera.page``) on the frame. Nothing here logs a
picture or its bytes.
"""

from __future__ import annotations

import logging
import threading
from typing import Protocol

import cv2
from pydantic import BaseModel, ConfigDict, Field

from devices.camera.page import Image, Page, process
from devices.errors import CameraError

log = logging.getLogger(__name__)


class CameraConfig(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    device: str = Field(description="V4L2 device: /dev/v4l/by-id/… (stable across replugs) or an index")
    width: int = Field(default=2592, ge=320, le=8000, description="still width asked of the camera")
    height: int = Field(default=1944, ge=240, le=6000, description="still height asked of the camera")
    warmup_frames: int = Field(
        default=5, ge=0, le=60, description="frames dropped after opening, while exposure settles"
    )
    max_bytes: int = Field(
        default=600_000, ge=50_000, le=2_000_000, description="largest JPEG a page may become"
    )
    max_side: int = Field(default=2000, ge=480, le=8000, description="longest side of a page, pixels")


class DocumentCamera(Protocol):
    """Anything that hands over one frame per call: the UVC camera or the folder simulator."""

    def grab(self) -> Image:
        """One BGR frame; raises ``devices.errors.CameraError`` when there is none."""
        ...


class UvcCamera:
    """A UVC document camera through OpenCV (V4L2). Thread-safe: one capture at a time."""

    def __init__(self, config: CameraConfig) -> None:
        self.config = config
        self._lock = threading.Lock()

    def grab(self) -> Image:
        with self._lock:
            source: int | str = (
                int(self.config.device) if self.config.device.isdigit() else self.config.device
            )
            capture = cv2.VideoCapture(source, cv2.CAP_V4L2)
            try:
                if not capture.isOpened():
                    raise CameraError("document camera not available", device=self.config.device)
                capture.set(cv2.CAP_PROP_FRAME_WIDTH, self.config.width)
                capture.set(cv2.CAP_PROP_FRAME_HEIGHT, self.config.height)
                for _ in range(self.config.warmup_frames):
                    capture.grab()
                ok, frame = capture.read()
                if not ok or frame is None:
                    raise CameraError("document camera gave no frame", device=self.config.device)
                image: Image = frame
                return image
            finally:
                capture.release()


def capture_page(camera: DocumentCamera, max_bytes: int, max_side: int = 2000) -> Page:
    """One page from ``camera``: grabbed, de-skewed and encoded within ``max_bytes``."""
    frame = camera.grab()
    try:
        return process(frame, max_bytes, max_side)
    except (ValueError, cv2.error) as exc:
        raise CameraError("page could not be processed", reason=type(exc).__name__) from None
