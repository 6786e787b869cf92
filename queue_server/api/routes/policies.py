"""The hall's policies (``[policies]`` of the hall file) for administrators: read them, change them.

A change is the hall file's section edited (``services/admin/sections.py``): the whole hall is
validated with the new section by the hall file's own models and cross-checks (every problem with
its path, ``policies.lunch_windows[0]``), written in one transaction with its audit event (who,
when, which fields from what to what; ``GET /api/halls/{hall}/admin/history``), and applied by the
running server from its next request (the hall row is read by every transaction). Kiosks are sent
their new configuration (the elderly age).
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter
from pydantic import BaseModel, Field

from queue_server.api.deps import HallAdmin, HallDep, RequestId, ServicesDep
from queue_server.api.problems import PROBLEM_RESPONSES
from queue_server.halls.policies import Policies
from queue_server.services.admin.models import SectionEdit, SectionName, SectionSaved

router = APIRouter(prefix="/api/halls/{hall}", tags=["policies"], responses=PROBLEM_RESPONSES)


class PoliciesView(BaseModel):
    policies: Policies
    etag: str = Field(description="send it back with a change: refused (409) if the policies changed since")


class PoliciesEdit(BaseModel):
    policies: dict[str, Any] = Field(
        description="the whole [policies] section as the hall file spells it (keys left out: defaults)"
    )
    etag: str | None = Field(default=None, max_length=64, description="the etag read")


@router.get("/policies", response_model=PoliciesView, summary="the hall's policies (administrators)")
def get_policies(hall: HallDep, staff: HallAdmin, services: ServicesDep) -> PoliciesView:
    view = services.admin_section(hall, SectionName.POLICIES, actor=staff.actor)
    return PoliciesView(policies=Policies.model_validate(view.data), etag=view.etag)


@router.put(
    "/policies",
    response_model=SectionSaved,
    summary="change the hall's policies (administrators; validated as the hall file, audited)",
)
def put_policies(
    hall: HallDep, body: PoliciesEdit, staff: HallAdmin, services: ServicesDep, key: RequestId
) -> SectionSaved:
    edit = SectionEdit(data=body.policies, etag=body.etag)
    return services.save_admin_section(hall, SectionName.POLICIES, edit, actor=staff.actor, request_id=key)
