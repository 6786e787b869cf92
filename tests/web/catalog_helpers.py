"""Helpers of the catalog administration tests: a second administrator, a matter's spec as the page
sends it, and the admin API's paths."""

from __future__ import annotations

from typing import Any

import httpx
from sqlmodel import Session, select

from harness.factories import password_hash
from queue_server.store import tables as t


def add_admin(engine: Any, hall_code: str, login: str = "admin2", name: str = "钱七") -> None:
    """A second administrator (the small hall has one): the reviewer."""
    with Session(engine) as session, session.begin():
        hall_id = session.exec(select(t.Hall.id).where(t.Hall.code == hall_code)).one()
        assert hall_id is not None
        staff = t.Staff(hall_id=hall_id, login=login, name=name, role="admin", password_hash=password_hash())
        session.add(staff)


def admin_path(hall: str, rest: str) -> str:
    return f"/api/halls/{hall}/catalog/admin{rest}"


def edited_spec(client: httpx.Client, hall: str, code: str, **changes: Any) -> dict[str, Any]:
    """The matter's current spec, with the fields the small hall leaves empty filled and ``changes``."""
    detail = client.get(admin_path(hall, f"/matters/{code}"))
    assert detail.status_code == 200, detail.text
    spec: dict[str, Any] = {k: v for k, v in detail.json()["spec"].items() if k not in ("code", "published")}
    spec["time_limit"] = spec["time_limit"] or "即时办结"
    spec.update(changes)
    return spec


def publish_change(
    author: httpx.Client, reviewer: httpx.Client, hall: str, code: str, spec: dict[str, Any]
) -> dict[str, Any]:
    """Draft, submit, publish by the other person: the published draft."""
    draft = author.post(admin_path(hall, "/drafts"), json={"code": code, "spec": spec})
    assert draft.status_code == 200, draft.text
    draft_id = draft.json()["id"]
    assert author.post(admin_path(hall, f"/drafts/{draft_id}/submit")).status_code == 200
    published = reviewer.post(admin_path(hall, f"/drafts/{draft_id}/publish"), json={"note": "同意"})
    assert published.status_code == 200, published.text
    body: dict[str, Any] = published.json()
    return body
