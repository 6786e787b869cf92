"""Catalog administration (目录化动态管理) for administrators: matters with their versions, drafts and
history; draft → review → publish by two administrators; the diff between two versions. Rights are
the services' (``services/catalog_admin/``): any other role is refused there, for every door."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query

from queue_server.api.deps import HallDep, HallStaff, RequestId, ServicesDep
from queue_server.api.problems import PROBLEM_RESPONSES
from queue_server.services.catalog_admin.models import (
    CatalogAdminList,
    DraftEdit,
    DraftNew,
    DraftView,
    MatterAdmin,
    ReviewNote,
    VersionDiff,
)

router = APIRouter(
    prefix="/api/halls/{hall}/catalog/admin", tags=["catalog admin"], responses=PROBLEM_RESPONSES
)

VersionRef = Annotated[str, Query(pattern=r"^(d?[0-9]{1,9})$", description="a version (3) or a draft (d12)")]


@router.get("/matters", response_model=CatalogAdminList, summary="every matter, open drafts, form choices")
def matters(hall: HallDep, staff: HallStaff, services: ServicesDep) -> CatalogAdminList:
    return services.catalog_admin_list(hall, actor=staff.actor)


@router.get(
    "/matters/{code}", response_model=MatterAdmin, summary="a matter: content, versions, drafts, history"
)
def matter(hall: HallDep, code: str, staff: HallStaff, services: ServicesDep) -> MatterAdmin:
    return services.catalog_admin_matter(hall, code, actor=staff.actor)


@router.get("/matters/{code}/diff", response_model=VersionDiff, summary="what changed between two versions")
def diff(
    hall: HallDep, code: str, a: VersionRef, b: VersionRef, staff: HallStaff, services: ServicesDep
) -> VersionDiff:
    return services.catalog_diff(hall, code, a, b, actor=staff.actor)


@router.post("/drafts", response_model=DraftView, summary="a new draft (new matter, new content, retirement)")
def create(
    hall: HallDep, body: DraftNew, staff: HallStaff, services: ServicesDep, key: RequestId
) -> DraftView:
    return services.create_matter_draft(hall, body, actor=staff.actor, request_id=key)


@router.put("/drafts/{draft}", response_model=DraftView, summary="the author edits their draft")
def edit(
    hall: HallDep, draft: int, body: DraftEdit, staff: HallStaff, services: ServicesDep, key: RequestId
) -> DraftView:
    spec: dict[str, Any] = body.spec
    return services.edit_matter_draft(hall, draft, spec, actor=staff.actor, request_id=key)


@router.post("/drafts/{draft}/submit", response_model=DraftView, summary="the author asks for review")
def submit(hall: HallDep, draft: int, staff: HallStaff, services: ServicesDep, key: RequestId) -> DraftView:
    return services.submit_matter_draft(hall, draft, actor=staff.actor, request_id=key)


@router.post("/drafts/{draft}/withdraw", response_model=DraftView, summary="the author withdraws the draft")
def withdraw(hall: HallDep, draft: int, staff: HallStaff, services: ServicesDep, key: RequestId) -> DraftView:
    return services.withdraw_matter_draft(hall, draft, actor=staff.actor, request_id=key)


@router.post(
    "/drafts/{draft}/reject", response_model=DraftView, summary="another administrator sends it back"
)
def reject(
    hall: HallDep, draft: int, body: ReviewNote, staff: HallStaff, services: ServicesDep, key: RequestId
) -> DraftView:
    return services.reject_matter_draft(hall, draft, body.note, actor=staff.actor, request_id=key)


@router.post(
    "/drafts/{draft}/publish", response_model=DraftView, summary="another administrator publishes it"
)
def publish(
    hall: HallDep, draft: int, body: ReviewNote, staff: HallStaff, services: ServicesDep, key: RequestId
) -> DraftView:
    return services.publish_matter_draft(hall, draft, body.note, actor=staff.actor, request_id=key)
