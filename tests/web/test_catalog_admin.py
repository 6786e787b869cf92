"""Catalog administration over HTTP on a real server: the workflow (draft → review → publish by a
second administrator), the rights, every version and step kept, the diff, and the hall file's
validation with each error's field."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from tests.web.catalog_helpers import add_admin, admin_path, edited_spec, publish_change
from tests.web.conftest import Web

NEW_MATERIALS = [
    {"code": "A01-M1", "name": "居民户口簿", "copies": 1, "form": "original", "required": True, "note": ""},
    {
        "code": "A01-M9",
        "name": "房屋产权证明",
        "copies": 2,
        "form": "original_and_copy",
        "required": True,
        "note": "租房的带租赁合同",
    },
]


@pytest.fixture
def reviewer(web: Web) -> Web:
    add_admin(web.dh.hall.engine, web.code)
    return web


def _kiosk_matter(web: Web, code: str) -> dict[str, Any] | None:
    catalog = web.anonymous().get(f"/api/halls/{web.code}/catalog").json()
    return next((m for m in catalog["matters"] if m["code"] == code), None)


def test_a_second_admin_publishes_a_new_version_and_every_step_is_kept(reviewer: Web) -> None:
    admin, admin2 = reviewer.login("admin"), reviewer.login("admin2")
    hall = reviewer.code
    spec = edited_spec(admin, hall, "A01", materials=NEW_MATERIALS)
    draft = admin.post(admin_path(hall, "/drafts"), json={"code": "A01", "spec": spec}).json()
    assert draft["state"] == "draft" and draft["base_version"] == 1 and draft["author"] == "admin"
    # Not yet on the kiosks.
    kiosk = _kiosk_matter(reviewer, "A01")
    assert kiosk is not None and len(kiosk["disclosures"]["materials"]) == 3
    # The author cannot review their own draft (four eyes), even once it is submitted.
    submitted = admin.post(admin_path(hall, f"/drafts/{draft['id']}/submit"))
    assert submitted.json()["state"] == "review"
    own = admin.post(admin_path(hall, f"/drafts/{draft['id']}/publish"), json={})
    assert own.status_code == 403 and own.json()["code"] == "not_authorized"
    published = admin2.post(admin_path(hall, f"/drafts/{draft['id']}/publish"), json={"note": "同意"})
    assert published.status_code == 200, published.text
    assert published.json()["state"] == "published" and published.json()["version"] == 2
    assert published.json()["reviewer"] == "admin2"

    kiosk = _kiosk_matter(reviewer, "A01")
    assert kiosk is not None
    assert [m["name"] for m in kiosk["disclosures"]["materials"]] == ["居民户口簿", "房屋产权证明"]
    assert kiosk["disclosures"]["materials"][1]["note"] == "原件及复印件，2份；租房的带租赁合同"

    detail = admin.get(admin_path(hall, "/matters/A01")).json()
    assert [(v["version"], v["published"]) for v in detail["versions"]] == [(2, True), (1, False)]
    assert detail["versions"][0]["by"] == "钱七（admin2）"
    steps = [(s["action"], s["actor"]) for s in reversed(detail["history"])]
    assert steps == [("created", "admin"), ("submitted", "admin"), ("published", "admin2")]
    assert detail["spec"]["materials"][1]["form"] == "original_and_copy"  # kept as written, for the editor


def test_a_rejected_draft_goes_back_to_its_author_and_a_retirement_takes_the_matter_off(
    reviewer: Web,
) -> None:
    admin, admin2 = reviewer.login("admin"), reviewer.login("admin2")
    hall = reviewer.code
    draft = admin.post(admin_path(hall, "/drafts"), json={"code": "C01", "kind": "retire"}).json()
    admin.post(admin_path(hall, f"/drafts/{draft['id']}/submit"))
    no_reason = admin2.post(admin_path(hall, f"/drafts/{draft['id']}/reject"), json={"note": " "})
    assert no_reason.status_code == 422
    rejected = admin2.post(admin_path(hall, f"/drafts/{draft['id']}/reject"), json={"note": "仍有群众办理"})
    assert rejected.json()["state"] == "rejected" and rejected.json()["review_note"] == "仍有群众办理"
    # A second open draft of the same matter is refused while this one is open.
    again = admin2.post(admin_path(hall, "/drafts"), json={"code": "C01", "kind": "retire"})
    assert again.status_code == 409
    admin.post(admin_path(hall, f"/drafts/{draft['id']}/submit"))
    assert admin2.post(admin_path(hall, f"/drafts/{draft['id']}/publish"), json={}).status_code == 200
    assert _kiosk_matter(reviewer, "C01") is None
    anonymous = reviewer.anonymous()
    assert anonymous.get("/catalog/m/C01", params={"hall": hall}).status_code == 404
    assert "社保卡补办" not in anonymous.get("/catalog", params={"hall": hall}).text
    actions = [s["action"] for s in admin.get(admin_path(hall, "/matters/C01")).json()["history"]]
    assert actions == ["retired", "submitted", "rejected", "submitted", "created"]


@pytest.mark.parametrize("login", ["zhang", "manager", "daoban"])
def test_only_administrators_read_write_or_publish_the_catalog(reviewer: Web, login: str) -> None:
    hall = reviewer.code
    admin, admin2 = reviewer.login("admin"), reviewer.login("admin2")
    draft = admin.post(
        admin_path(hall, "/drafts"), json={"code": "B01", "spec": edited_spec(admin, hall, "B01")}
    )
    admin.post(admin_path(hall, f"/drafts/{draft.json()['id']}/submit"))
    other = reviewer.login(login)
    assert other.get(admin_path(hall, "/matters")).status_code == 403
    assert other.get(admin_path(hall, "/matters/B01")).status_code == 403
    created = other.post(admin_path(hall, "/drafts"), json={"code": "C01", "kind": "retire"})
    assert created.status_code == 403
    published = other.post(admin_path(hall, f"/drafts/{draft.json()['id']}/publish"), json={})
    assert published.status_code == 403
    assert reviewer.anonymous().get(admin_path(hall, "/matters")).status_code == 401
    # Another admin may review, but may not edit or withdraw the author's draft.
    edit = admin2.put(admin_path(hall, f"/drafts/{draft.json()['id']}"), json={"spec": {}})
    assert edit.status_code == 403


def test_anonymous_visitors_see_only_published_matters(reviewer: Web) -> None:
    hall = reviewer.code
    admin = reviewer.login("admin")
    spec = edited_spec(admin, hall, "A01", name="户口迁移（新）", service="A", department="civil")
    new = admin.post(admin_path(hall, "/drafts"), json={"code": "A99", "spec": spec})
    assert new.status_code == 200, new.text
    anonymous = reviewer.anonymous()
    listing = anonymous.get("/catalog", params={"hall": hall})
    assert listing.status_code == 200 and "户口迁移" in listing.text
    assert "A99" not in listing.text
    assert anonymous.get("/catalog/m/A99", params={"hall": hall}).status_code == 404
    page = anonymous.get("/catalog/m/A01", params={"hall": hall})
    assert page.status_code == 200
    for label in (
        "事项内容",
        "设定依据",
        "申请条件",
        "申请材料",
        "办理流程",
        "承诺时限",
        "收费标准",
        "办理结果",
    ):
        assert label in page.text
    assert "居民户口簿" in page.text and "准予迁入证明" in page.text
    assert "@page { size: A4" in anonymous.get("/static/window/public_catalog.css").text


def test_the_diff_between_any_two_versions_and_a_draft(reviewer: Web) -> None:
    admin, admin2 = reviewer.login("admin"), reviewer.login("admin2")
    hall = reviewer.code
    publish_change(admin, admin2, hall, "A01", edited_spec(admin, hall, "A01", materials=NEW_MATERIALS))
    spec = edited_spec(admin, hall, "A01", fees="工本费20元")
    draft = admin.post(admin_path(hall, "/drafts"), json={"code": "A01", "spec": spec}).json()

    v1_v2 = admin.get(admin_path(hall, "/matters/A01/diff"), params={"a": "1", "b": "2"}).json()
    fields = {c["field"]: c for c in v1_v2["changes"]}
    assert set(fields) == {"time_limit", "materials.A01-M2", "materials.A01-M3", "materials.A01-M9"}
    assert fields["materials.A01-M9"]["before"] is None
    assert fields["materials.A01-M9"]["after"].startswith("房屋产权证明 · original_and_copy · 2份")
    assert fields["materials.A01-M2"]["after"] is None and fields["materials.A01-M2"]["before"].startswith(
        "居民身份证"
    )
    v2_draft = admin.get(
        admin_path(hall, "/matters/A01/diff"), params={"a": "2", "b": f"d{draft['id']}"}
    ).json()
    assert v2_draft["changes"] == [
        {"field": "fees", "label": "收费标准", "before": "不收费", "after": "工本费20元"}
    ]
    same = admin.get(admin_path(hall, "/matters/A01/diff"), params={"a": "2", "b": "2"}).json()
    assert same["changes"] == []
    assert admin.get(admin_path(hall, "/matters/A01/diff"), params={"a": "7", "b": "2"}).status_code == 404


def _problems(client: httpx.Client, hall: str, spec: dict[str, Any]) -> dict[str, dict[str, str]]:
    """path -> {message (the page's zh-CN), detail (as `hallq hall validate` says it)}."""
    response = client.post(admin_path(hall, "/drafts"), json={"code": "A01", "spec": spec})
    assert response.status_code == 422, response.text
    return {e["path"]: e for e in response.json()["data"]["errors"]}


def test_validation_errors_name_their_fields_as_the_hall_file_does(reviewer: Web) -> None:
    admin = reviewer.login("admin")
    hall = reviewer.code
    materials = [dict(NEW_MATERIALS[0]), dict(NEW_MATERIALS[0], name="")]
    errors = _problems(
        admin, hall, edited_spec(admin, hall, "A01", name="", service="Z", materials=materials)
    )
    assert set(errors) >= {"name", "materials[1].name"}
    assert errors["name"]["message"] == "不能为空"
    # The model's own rules and the references are reported by the same code as `hallq hall validate`.
    spec = edited_spec(admin, hall, "A01", promised_days=5, materials=[NEW_MATERIALS[0]] * 2)
    errors = _problems(admin, hall, spec)
    assert errors["promised_days"]["message"] == "即办件的承诺办结时限应为0"
    assert errors["materials[1].code"]["detail"].startswith("duplicate material code 'A01-M1'")
    errors = _problems(admin, hall, edited_spec(admin, hall, "A01", service="Z", co_departments=["civl"]))
    assert errors["service"]["detail"].startswith("unknown service 'Z'")
    assert errors["service"]["message"] == "未知的业务“Z”，可选：A, B, C"
    assert errors["co_departments[0]"]["message"] == "未知的部门“civl”，是否为“civil”？"
    errors = _problems(admin, hall, {**edited_spec(admin, hall, "A01"), "colour": "red"})
    assert list(errors) == ["colour"]
    assert admin.get(admin_path(hall, "/matters/A01")).json()["drafts"] == []  # nothing was written
