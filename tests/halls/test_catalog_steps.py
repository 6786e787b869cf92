"""``hallq hall load`` and the catalog pages' workflow agree: a load is a publish by the loader,
recorded as such; a draft begun before a load that changed its matter is not published over it; a
matter the pages created is not retired by a file that never named it. On SQLite and PostgreSQL."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import Engine
from sqlmodel import Session, col, select

from harness.factories import make_settings
from queue_server.errors import InvalidStateError
from queue_server.halls.loader import load_hall
from queue_server.services import Services
from queue_server.services.catalog_admin.models import DraftNew
from queue_server.services.ports import Actor, Role
from queue_server.store import tables as t

from .conftest import hall_of

AUTHOR = Actor(Role.ADMIN, "admin")
REVIEWER = Actor(Role.ADMIN, "reviewer")


def _steps(engine: Engine, code: str) -> list[tuple[str, str, str, int | None]]:
    with Session(engine) as session:
        rows = session.exec(
            select(t.MatterStep).where(t.MatterStep.code == code).order_by(col(t.MatterStep.id))
        )
        return [(s.action, s.source, s.actor, s.version) for s in rows]


def _spec(raw: dict[str, Any], code: str) -> dict[str, Any]:
    matter = next(m for m in raw["matters"] if m["code"] == code)
    return {k: v for k, v in matter.items() if k != "code"}


def test_a_load_is_recorded_as_a_publish_by_the_loader(engine: Engine, small_raw: dict[str, Any]) -> None:
    load_hall(engine, hall_of(small_raw), environ={"HALLQ_DEMO_PASSWORD": "demo-pass-1"})
    assert _steps(engine, "scjg-001") == [("published", "load", "", 1)]
    small_raw["matters"][0]["fees"] = "工本费10元"
    gone = small_raw["matters"].pop()
    load_hall(engine, hall_of(small_raw), environ={"HALLQ_DEMO_PASSWORD": "demo-pass-1"})
    assert _steps(engine, "scjg-001")[-1] == ("published", "load", "", 2)
    assert _steps(engine, gone["code"])[-1][:2] == ("retired", "load")
    with Session(engine) as session:
        step = session.exec(
            select(t.MatterStep).where(t.MatterStep.code == "scjg-001", t.MatterStep.version == 2)
        ).one()
        assert step.spec is not None and step.spec["fees"] == "工本费10元"


def test_a_draft_older_than_a_load_is_not_published_over_it(
    engine: Engine, small_raw: dict[str, Any]
) -> None:
    hall = hall_of(small_raw)
    load_hall(engine, hall, environ={"HALLQ_DEMO_PASSWORD": "demo-pass-1"})
    services = Services(engine, make_settings(hall=hall.hall.code))
    code = "scjg-001"
    spec = _spec(small_raw, code) | {"fees": "按页收费"}
    draft = services.create_matter_draft(hall.hall.code, DraftNew(code=code, spec=spec), actor=AUTHOR)
    services.submit_matter_draft(hall.hall.code, draft.id, actor=AUTHOR)
    small_raw["matters"][0]["result"] = "营业执照（电子证照）"
    load_hall(engine, hall_of(small_raw), environ={"HALLQ_DEMO_PASSWORD": "demo-pass-1"})
    with pytest.raises(InvalidStateError) as refused:
        services.publish_matter_draft(hall.hall.code, draft.id, actor=REVIEWER)
    assert refused.value.detail["newest"] == 2 and refused.value.detail["base_version"] == 1
    services.runner.wait_idle(5)


def test_a_matter_the_pages_created_survives_a_reload(engine: Engine, small_raw: dict[str, Any]) -> None:
    hall = hall_of(small_raw)
    load_hall(engine, hall, environ={"HALLQ_DEMO_PASSWORD": "demo-pass-1"})
    services = Services(engine, make_settings(hall=hall.hall.code))
    spec = _spec(small_raw, "scjg-001") | {"name": "个体工商户变更登记"}
    draft = services.create_matter_draft(hall.hall.code, DraftNew(code="scjg-101", spec=spec), actor=AUTHOR)
    services.submit_matter_draft(hall.hall.code, draft.id, actor=AUTHOR)
    published = services.publish_matter_draft(hall.hall.code, draft.id, actor=REVIEWER)
    assert published.version == 1
    report = load_hall(engine, hall_of(small_raw), environ={"HALLQ_DEMO_PASSWORD": "demo-pass-1"})
    assert not report.changed
    with Session(engine) as session:
        row = session.exec(select(t.Matter).where(t.Matter.code == "scjg-101")).one()
        assert row.published
    assert _steps(engine, "scjg-101") == [
        ("created", "admin", "admin", None),
        ("submitted", "admin", "admin", None),
        ("published", "admin", "reviewer", 1),
    ]
    services.runner.wait_idle(5)


def test_a_reload_keeps_the_pages_change_until_the_file_changes_that_matter(
    engine: Engine, small_raw: dict[str, Any]
) -> None:
    hall = hall_of(small_raw)
    code = "scjg-001"
    load_hall(engine, hall, environ={"HALLQ_DEMO_PASSWORD": "demo-pass-1"})
    services = Services(engine, make_settings(hall=hall.hall.code))
    spec = _spec(small_raw, code) | {"fees": "按页收费"}
    draft = services.create_matter_draft(hall.hall.code, DraftNew(code=code, spec=spec), actor=AUTHOR)
    services.submit_matter_draft(hall.hall.code, draft.id, actor=AUTHOR)
    assert services.publish_matter_draft(hall.hall.code, draft.id, actor=REVIEWER).version == 2
    services.runner.wait_idle(5)

    assert not load_hall(engine, hall_of(small_raw), environ={"HALLQ_DEMO_PASSWORD": "demo-pass-1"}).changed

    def published() -> list[tuple[int, str]]:
        with Session(engine) as session:
            rows = session.exec(select(t.Matter).where(t.Matter.code == code, col(t.Matter.published)))
            return [(m.version, m.fees) for m in rows]

    assert published() == [(2, "按页收费")]
    small_raw["matters"][0]["fees"] = "不收费（文件）"
    load_hall(engine, hall_of(small_raw), environ={"HALLQ_DEMO_PASSWORD": "demo-pass-1"})
    assert published() == [(3, "不收费（文件）")]
    assert _steps(engine, code)[-1] == ("published", "load", "", 3)
