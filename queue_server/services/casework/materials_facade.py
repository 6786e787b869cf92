"""The facade's part for pages captured at the kiosk (``casework/materials.py``)."""

from __future__ import annotations

from collections.abc import Callable

from queue_server.services.casework import materials
from queue_server.services.casework.materials import MaterialPage, MaterialPages
from queue_server.services.engine.base import FacadePart
from queue_server.services.ports import Actor
from queue_server.services.usecases import UseCase


class MaterialsUseCases(FacadePart):
    citizen_hall: Callable[[str], str]  # ViewUseCases': the hall of a live ticket token

    def upload_material(
        self,
        token: str,
        material: str,
        page: int,
        data: bytes,
        content_type: str | None,
        *,
        request_id: str | None = None,
    ) -> MaterialPage:
        """One page from the kiosk, by the ticket's token."""
        return self._write(
            self.citizen_hall(token),
            UseCase.UPLOAD_MATERIAL,
            lambda tx: materials.upload(tx, token, material, page, data, content_type),
            MaterialPage,
            request_id=request_id,
        )

    def citizen_materials(self, token: str) -> MaterialPages:
        return self._read(self.citizen_hall(token), lambda tx: materials.citizen_pages(tx, token))

    def citizen_material_image(self, token: str, image_id: int) -> tuple[str, bytes]:
        return self._read(self.citizen_hall(token), lambda tx: materials.citizen_image(tx, token, image_id))

    def window_materials(self, hall: str, window: str, *, actor: Actor) -> MaterialPages:
        return self._read(hall, lambda tx: materials.window_pages(tx, window, actor))

    def material_image(self, hall: str, image_id: int, *, actor: Actor) -> tuple[str, bytes]:
        return self._read(hall, lambda tx: materials.staff_image(tx, image_id, actor))

    def mark_material(
        self, hall: str, image_id: int, reason: str | None, *, actor: Actor, request_id: str | None = None
    ) -> MaterialPage:
        """Mark a page wrong (with a reason) or take the mark back (no reason)."""
        return self._write(
            hall,
            UseCase.MARK_MATERIAL_WRONG,
            lambda tx: materials.mark_wrong(tx, image_id, reason, actor),
            MaterialPage,
            actor,
            request_id,
        )
