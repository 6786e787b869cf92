"""The kiosk's document camera and the pages' way to the server (``kiosk.ports`` seams).

- :class:`KioskCamera` takes one page from a ``devices.camera`` camera (the UVC 高拍仪 or the folder
  simulator): grabbed, de-skewed, a JPEG of at most ``max_bytes``.
- :class:`HttpUploader` sends a page to ``POST /api/materials/{token}`` with the issued ticket's
  token (from its citizen URL) — over HTTP, never MQTT: images do not belong on the bus. The server's
  address is ``server_url`` when configured (the kiosk reaches the server on the hall network, the
  ticket's URL may name a public portal), else the citizen URL's own. An ``Idempotency-Key`` derived
  from the ticket and page makes a resend after a lost answer store the page once.
"""

from __future__ import annotations

import hashlib
import http.client
from urllib.parse import quote, urlencode, urlsplit

from devices.camera import CameraConfig, DocumentCamera, FolderCamera, UvcCamera, capture_page

from .ports import CapturedPage

DEFAULT_MAX_BYTES = 600_000
UPLOAD_TIMEOUT_S = 5.0


class KioskCamera:
    """A :class:`~kiosk.ports.PageCamera` over a ``devices.camera`` camera."""

    def __init__(
        self, camera: DocumentCamera, max_bytes: int = DEFAULT_MAX_BYTES, max_side: int = 2000
    ) -> None:
        self.camera = camera
        self.max_bytes = max_bytes
        self.max_side = max_side

    @classmethod
    def uvc(cls, config: CameraConfig) -> KioskCamera:
        return cls(UvcCamera(config), config.max_bytes, config.max_side)

    @classmethod
    def folder(cls, camera: FolderCamera) -> KioskCamera:
        return cls(camera)

    def capture(self) -> bytes:
        return capture_page(self.camera, self.max_bytes, self.max_side).jpeg


def upload_target(citizen_url: str, server_url: str | None) -> tuple[str, str]:
    """The server's base URL and the ticket's token, from the ticket's citizen URL (…/t/{token})."""
    head, sep, token = citizen_url.rpartition("/t/")
    if not sep or not token or "/" in token:
        raise ValueError("the ticket has no citizen URL to upload with")
    if server_url:
        return server_url.rstrip("/"), token
    parts = urlsplit(head)
    return f"{parts.scheme}://{parts.netloc}", token


class HttpUploader:
    """A :class:`~kiosk.ports.MaterialUploader` over plain HTTP(S) (the standard library's client)."""

    def __init__(self, server_url: str | None = None, timeout_s: float = UPLOAD_TIMEOUT_S) -> None:
        self.server_url = server_url
        self.timeout_s = timeout_s

    def upload(self, citizen_url: str, page: CapturedPage) -> None:
        base, token = upload_target(citizen_url, self.server_url)
        parts = urlsplit(base)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ValueError("the server URL is not http(s)")
        query = urlencode({"material": page.material, "page": page.page})
        key = hashlib.sha256(f"{token}\0{page.material}\0{page.page}".encode()).hexdigest()[:40]
        kind = http.client.HTTPSConnection if parts.scheme == "https" else http.client.HTTPConnection
        connection = kind(parts.hostname, parts.port, timeout=self.timeout_s)
        try:
            connection.request(
                "POST",
                f"{parts.path.rstrip('/')}/api/materials/{quote(token)}?{query}",
                body=page.jpeg,
                headers={"Content-Type": "image/jpeg", "Idempotency-Key": f"kiosk-page-{key}"},
            )
            reply = connection.getresponse()
            reply.read()
        finally:
            connection.close()
        if reply.status != 200:
            raise ValueError(f"server refused the page: HTTP {reply.status}")
