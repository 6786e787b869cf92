"""The document camera (高拍仪): a UVC camera through OpenCV, a folder simulator, and the page pipeline
(find the sheet, de-skew, size-bounded JPEG)."""

from devices.camera.camera import CameraConfig, DocumentCamera, UvcCamera, capture_page
from devices.camera.page import (
    JPEG_MAGIC,
    Image,
    Page,
    deskew,
    encode_jpeg,
    ink_angle,
    process,
    sheet_corners,
    straighten,
)
from devices.camera.simulator import FolderCamera, sample_page, write_sample_pages
from devices.errors import CameraError

__all__ = [
    "JPEG_MAGIC",
    "CameraConfig",
    "CameraError",
    "DocumentCamera",
    "FolderCamera",
    "Image",
    "Page",
    "UvcCamera",
    "capture_page",
    "deskew",
    "encode_jpeg",
    "ink_angle",
    "process",
    "sample_page",
    "sheet_corners",
    "straighten",
    "write_sample_pages",
]
