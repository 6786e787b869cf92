"""The catalog pages' part of ``Services``: the workflow's writes, the administration reads, and the
public catalog (政务公开) read from the same source as the kiosks' ``catalog.get``."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from pydantic import BaseModel

from queue_server.protocol.messages import CatalogResult
from queue_server.services.engine.access import require_admin
from queue_server.services.engine.base import FacadePart
from queue_server.services.engine.tx import Changes, Tx
from queue_server.services.ports import Actor
from queue_server.services.usecases import UseCase
from queue_server.services.views import catalog
from queue_server.store.tables import MatterDraft

from . import reads, workflow
from .models import CatalogAdminList, DraftNew, DraftView, MatterAdmin, VersionDiff


class PublicCatalog(BaseModel):
    """The public pages' hall and its published catalogue (the kiosks' very ``CatalogResult``)."""

    hall: str
    hall_name: str
    address: str
    phone: str
    notice: str
    catalog: CatalogResult


class CatalogAdminUseCases(FacadePart):
    _etags: dict[str, tuple[float, str]]  # the hall state's catalogue etag cache (views/facade.py)

    def catalog_admin_list(self, hall: str, *, actor: Actor) -> CatalogAdminList:
        require_admin(actor)
        return self._read(hall, reads.catalog_list)

    def catalog_admin_matter(self, hall: str, code: str, *, actor: Actor) -> MatterAdmin:
        require_admin(actor)
        return self._read(hall, lambda tx: reads.matter_admin(tx, code))

    def catalog_diff(self, hall: str, code: str, a: str, b: str, *, actor: Actor) -> VersionDiff:
        require_admin(actor)
        return self._read(hall, lambda tx: reads.version_diff(tx, code, a, b))

    def create_matter_draft(
        self, hall: str, request: DraftNew, *, actor: Actor, request_id: str | None = None
    ) -> DraftView:
        return self._draft_write(
            hall,
            UseCase.CREATE_MATTER_DRAFT,
            lambda tx: workflow.create(tx, actor, request),
            actor,
            request_id,
        )

    def edit_matter_draft(
        self, hall: str, draft_id: int, spec: dict[str, Any], *, actor: Actor, request_id: str | None = None
    ) -> DraftView:
        return self._draft_write(
            hall,
            UseCase.EDIT_MATTER_DRAFT,
            lambda tx: workflow.edit(tx, actor, draft_id, spec),
            actor,
            request_id,
        )

    def submit_matter_draft(
        self, hall: str, draft_id: int, *, actor: Actor, request_id: str | None = None
    ) -> DraftView:
        return self._draft_write(
            hall,
            UseCase.SUBMIT_MATTER_DRAFT,
            lambda tx: workflow.submit(tx, actor, draft_id),
            actor,
            request_id,
        )

    def withdraw_matter_draft(
        self, hall: str, draft_id: int, *, actor: Actor, request_id: str | None = None
    ) -> DraftView:
        return self._draft_write(
            hall,
            UseCase.WITHDRAW_MATTER_DRAFT,
            lambda tx: workflow.withdraw(tx, actor, draft_id),
            actor,
            request_id,
        )

    def reject_matter_draft(
        self, hall: str, draft_id: int, note: str, *, actor: Actor, request_id: str | None = None
    ) -> DraftView:
        return self._draft_write(
            hall,
            UseCase.REJECT_MATTER_DRAFT,
            lambda tx: workflow.reject(tx, actor, draft_id, note),
            actor,
            request_id,
        )

    def publish_matter_draft(
        self, hall: str, draft_id: int, note: str = "", *, actor: Actor, request_id: str | None = None
    ) -> DraftView:
        """The reviewer publishes: a new version, and every kiosk told through the hall state."""

        def publish(tx: Tx) -> MatterDraft:
            self._etags.pop(hall, None)  # the announcement after commit computes the new etag
            return workflow.publish(tx, actor, draft_id, note)

        view = self._draft_write(hall, UseCase.PUBLISH_MATTER_DRAFT, publish, actor, request_id)
        # Again after the commit: a hall state built meanwhile may have cached the old etag.
        self._etags.pop(hall, None)
        self.runner.announce(hall, Changes(hall_changed=True))
        return view

    def public_catalog(self, hall: str) -> PublicCatalog:
        def read(tx: Tx) -> PublicCatalog:
            return PublicCatalog(
                hall=tx.hall.code,
                hall_name=tx.hall.name,
                address=tx.hall.address,
                phone=tx.hall.phone,
                notice=tx.hall.notice,
                catalog=catalog.catalog(tx, None),
            )

        return self._read(hall, read)

    def _draft_write(
        self,
        hall: str,
        use_case: UseCase,
        fn: Callable[[Tx], MatterDraft],
        actor: Actor,
        request_id: str | None,
    ) -> DraftView:
        return self._write(
            hall, use_case, lambda tx: reads.draft_view(tx, fn(tx)), DraftView, actor, request_id
        )
