"""The staff page's edits: each one a new version of the hall file's ``[[staff]]`` section.

Creating, editing and deactivating a person go through ``sections.save_section`` like every other
section (the same validation, load and audit): deactivating is leaving the file (the loader retires
the person: every token stops working at once). An administrator cannot deactivate themselves or
give up their own administrator role (a hall must keep someone who can undo it).
"""

from __future__ import annotations

from typing import Any

from sqlmodel import select

from queue_server.errors import BadRequestError, NotFoundError
from queue_server.services.engine.tx import Tx
from queue_server.services.people.security import hash_password
from queue_server.services.ports import Actor
from queue_server.store import tables as t
from queue_server.store.tables.accounts import StaffAccount

from .models import SectionName, SectionSaved, StaffCreate, StaffFields
from .sections import INVALID, hall_data, save_section, section_of

STAFF = SectionName.STAFF


def _staff(tx: Tx) -> list[dict[str, Any]]:
    value = section_of(hall_data(tx), STAFF)
    return list(value) if isinstance(value, list) else []


def _item(login: str, fields: StaffFields, keep: dict[str, Any] | None = None) -> dict[str, Any]:
    item: dict[str, Any] = {
        "login": login,
        "name": fields.name,
        "role": fields.role,
        "windows": fields.windows,
    }
    if fields.department:
        item["department"] = fields.department
    if fields.qualification is not None:
        item["qualification"] = {
            "number": fields.qualification.number,
            "expires": fields.qualification.expires.isoformat(),
        }
    for source in ("password_env", "password_file"):
        if keep is not None and source in keep:
            item[source] = keep[source]
    return item


def _refuse(path: str, message: str) -> BadRequestError:
    return BadRequestError(INVALID, errors=[{"path": path, "section": STAFF.value, "message": message}])


def create_person(tx: Tx, body: StaffCreate, password: str, actor: Actor) -> SectionSaved:
    """A new account with ``password`` (changed at the first sign-in); a login retired earlier comes
    back with its history and this password."""
    staff = _staff(tx)
    if any(p.get("login") == body.login for p in staff):
        raise _refuse(f"staff[{len(staff)}].login", f"工号 {body.login} 已存在。")
    retired = tx.session.exec(
        select(t.Staff).where(t.Staff.hall_id == tx.hall_id, t.Staff.login == body.login)
    ).first()
    saved = save_section(
        tx, STAFF, [*staff, _item(body.login, body)], actor, passwords={body.login: password}
    )
    if retired is not None:  # the loader only sets a password for people it creates
        retired.password_hash = hash_password(password)
        account = tx.session.get(StaffAccount, retired.id)
        if account is not None:
            account.token_version += 1
            account.must_change_password = True
            account.password_changed_at = tx.now
        tx.session.add(retired)
    return saved


def update_person(tx: Tx, login: str, body: StaffFields, actor: Actor) -> SectionSaved:
    staff = _staff(tx)
    i = person_index(staff, login)
    if login == actor.id and body.role != "admin":
        raise _refuse(f"staff[{i}].role", "不能取消自己的管理员身份。")
    staff[i] = _item(login, body, keep=staff[i])
    return save_section(tx, STAFF, staff, actor)


def deactivate_person(tx: Tx, login: str, actor: Actor) -> SectionSaved:
    staff = _staff(tx)
    i = person_index(staff, login)
    if login == actor.id:
        raise _refuse(f"staff[{i}].login", "不能停用自己的账号。")
    del staff[i]
    return save_section(tx, STAFF, staff, actor)


def person_index(staff: list[dict[str, Any]], login: str) -> int:
    for i, person in enumerate(staff):
        if person.get("login") == login:
            return i
    raise NotFoundError("未找到该工作人员。", what="staff", login=login)
