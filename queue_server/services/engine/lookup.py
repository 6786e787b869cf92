"""Loading the rows a use case acts on, with the not-found errors said once."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Generic, TypeVar

import sqlalchemy as sa
from sqlalchemy import Connection
from sqlmodel import Session, SQLModel, col, select

from queue_server.domain.idcard import is_valid_id, normalize_id
from queue_server.errors import BadRequestError, NotFoundError, RefusedError
from queue_server.protocol.messages import ErrorCode
from queue_server.services.engine.tx import Tx
from queue_server.store.prepared import Prepared
from queue_server.store.tables import Hall, Matter, Service, Staff, Ticket, Window, WindowService


def refuse_clear_id(id_hash: str | None) -> None:
    """IDs are kept only as the kiosk's keyed hash: a resident ID number itself is refused, not stored."""
    if id_hash is not None and is_valid_id(normalize_id(id_hash)):
        raise BadRequestError("身份证号须经散列后传送，服务器不保存明文证件号。", field="id_hash")


def hall_by_code(session: Session, code: str) -> Hall:
    hall = session.exec(select(Hall).where(Hall.code == code)).first()
    if hall is None:
        raise NotFoundError(f"未找到大厅 {code}。", what="hall", hall=code)
    return hall


M = TypeVar("M", bound=SQLModel)


class SharedRows(Generic[M]):
    """Rows read in the caller's transaction, handed out as shared objects while they are unchanged.

    Every call still reads the row (one prebuilt statement, in the caller's transaction: always
    current), but the model object is kept and handed out again while the row's values are equal:
    building an ORM object (JSON schedules, instrumentation) cost more than the query. The objects are
    shared between threads and transactions and belong to no session: callers only READ them. Kept by
    primary key; equal values are equal content, whatever database they came from.
    """

    LIMIT = 4096

    def __init__(self, model: type[M]) -> None:
        self._model = model
        self._known: dict[Any, tuple[tuple[Any, ...], M]] = {}

    def read(self, conn: Connection, statement: Prepared, params: dict[str, Any]) -> M | None:
        fields, rows = statement.named_rows(conn, params)
        return self.adopt(fields, rows[0]) if rows else None

    def adopt(self, fields: Sequence[str], row: Sequence[Any]) -> M:
        """The shared object for a row of the model's table: its columns named by ``fields`` (all of
        them, ``id`` first), the row's values after those ignored (columns of a joined table)."""
        values = tuple(row[: len(fields)])
        known = self._known.get(values[0])
        if known is not None and known[0] == values:
            return known[1]
        if len(self._known) >= self.LIMIT:
            self._known.clear()
        made = self._model(**dict(zip(fields, values, strict=True)))
        self._known[values[0]] = (values, made)  # one dict store: atomic, the newest row wins
        return made


def hall_row(conn: Connection, code: str) -> Hall:
    """``hall_by_code`` for the runner: a shared, read-only ``Hall`` (see :class:`SharedRows`)."""
    hall = HALLS.read(conn, _HALL_BY_CODE, {"code": code})
    if hall is None:
        raise NotFoundError(f"未找到大厅 {code}。", what="hall", hall=code)
    return hall


def active_service(tx: Tx, code: str) -> Service:
    """``service_by_code`` for hot read-only paths: a shared ``Service`` (never modify it)."""
    service = SERVICES.read(tx.conn, _ACTIVE_SERVICE, {"hall_id": tx.hall_id, "code": code})
    if service is None:
        raise RefusedError(code=ErrorCode.UNKNOWN_SERVICE, service=code)
    return service


def service_by_id(tx: Tx, service_id: int) -> Service | None:
    """A shared, read-only ``Service`` by id (active or not)."""
    return SERVICES.read(tx.conn, _SERVICE_BY_ID, {"id": service_id})


def staff_by_id(tx: Tx, staff_id: int) -> Staff | None:
    """A shared, read-only ``Staff`` by id (for snapshots: never modify it)."""
    return STAFF.read(tx.conn, _STAFF_BY_ID, {"id": staff_id})


def newest_published_matter(tx: Tx, code: str) -> Matter:
    """``published_matter`` for hot read-only paths: a shared ``Matter`` (never modify it)."""
    matter = MATTERS.read(tx.conn, _PUBLISHED_MATTER, {"hall_id": tx.hall_id, "code": code})
    if matter is None:
        raise RefusedError(code=ErrorCode.UNKNOWN_SERVICE, matter=code)
    return matter


def window_by_number(tx: Tx, number: str, *, lock: bool = False) -> Window:
    """The window, row-locked for the rest of the transaction when ``lock`` (PostgreSQL)."""
    stmt = select(Window).where(Window.hall_id == tx.hall_id, Window.number == number)
    if lock:
        stmt = stmt.with_for_update()
    window = tx.session.exec(stmt).first()
    if window is None:
        raise NotFoundError(f"未找到{number}号窗口。", what="window", window=number)
    return window


def service_by_code(tx: Tx, code: str) -> Service:
    service = tx.session.exec(
        select(Service).where(Service.hall_id == tx.hall_id, Service.code == code, col(Service.active))
    ).first()
    if service is None:
        raise RefusedError(code=ErrorCode.UNKNOWN_SERVICE, service=code)
    return service


def published_matter(tx: Tx, code: str) -> Matter:
    """The newest published version of a matter; unknown_service when there is none."""
    matter = tx.session.exec(
        select(Matter)
        .where(Matter.hall_id == tx.hall_id, Matter.code == code, col(Matter.published))
        .order_by(col(Matter.version).desc())
    ).first()
    if matter is None:
        raise RefusedError(code=ErrorCode.UNKNOWN_SERVICE, matter=code)
    return matter


def ticket_by_token(tx: Tx, token: str, *, lock: bool = False) -> Ticket:
    stmt = select(Ticket).where(Ticket.hall_id == tx.hall_id, Ticket.citizen_token == token)
    if lock:
        stmt = stmt.with_for_update()
    ticket = tx.session.exec(stmt).first()
    if ticket is None:
        raise NotFoundError("未找到该号票。", what="ticket")
    return ticket


def ticket_by_public_id(tx: Tx, public_id: str, *, lock: bool = False) -> Ticket:
    """The ticket the protocol's ``ticket_id`` names (its public id, never its citizen token)."""
    stmt = select(Ticket).where(Ticket.hall_id == tx.hall_id, Ticket.public_id == public_id)
    if lock:
        stmt = stmt.with_for_update()
    ticket = tx.session.exec(stmt).first()
    if ticket is None:
        raise NotFoundError("未找到该号票。", what="ticket")
    return ticket


def staff_by_login(tx: Tx, login: str) -> Staff:
    staff = tx.session.exec(
        select(Staff).where(Staff.hall_id == tx.hall_id, Staff.login == login, col(Staff.active))
    ).first()
    if staff is None:
        raise NotFoundError("未找到该工作人员。", what="staff", login=login)
    return staff


def window_services(tx: Tx, window: Window) -> list[tuple[Service, int]]:
    """The services a window handles with their skill weights, primary first: shared, read-only
    ``Service`` rows (see :class:`SharedRows`)."""
    names, rows = _WINDOW_SERVICES.named_rows(tx.conn, {"window_id": window.id})
    fields = names[:-1]  # the service's columns, then the weight
    return [(SERVICES.adopt(fields, row), row[-1]) for row in rows]


HALLS = SharedRows(Hall)
SERVICES = SharedRows(Service)
MATTERS = SharedRows(Matter)
STAFF = SharedRows(Staff)

_HALL: sa.Table = SQLModel.metadata.tables[Hall.__tablename__]
_SERVICE: sa.Table = SQLModel.metadata.tables[Service.__tablename__]
_MATTER: sa.Table = SQLModel.metadata.tables[Matter.__tablename__]
_HALL_BY_CODE = Prepared(sa.select(_HALL).where(_HALL.c.code == sa.bindparam("code")))
_ACTIVE_SERVICE = Prepared(
    sa.select(_SERVICE).where(
        _SERVICE.c.hall_id == sa.bindparam("hall_id"),
        _SERVICE.c.code == sa.bindparam("code"),
        _SERVICE.c.active,
    )
)
_STAFF: sa.Table = SQLModel.metadata.tables[Staff.__tablename__]
_STAFF_BY_ID = Prepared(sa.select(_STAFF).where(_STAFF.c.id == sa.bindparam("id")))
_SERVICE_BY_ID = Prepared(sa.select(_SERVICE).where(_SERVICE.c.id == sa.bindparam("id")))
_WINDOW_SERVICE: sa.Table = SQLModel.metadata.tables[WindowService.__tablename__]
_WINDOW_SERVICES = Prepared(
    sa.select(_SERVICE, _WINDOW_SERVICE.c.weight)
    .join(_WINDOW_SERVICE, _WINDOW_SERVICE.c.service_id == _SERVICE.c.id)
    .where(_WINDOW_SERVICE.c.window_id == sa.bindparam("window_id"), _SERVICE.c.active)
    .order_by(_WINDOW_SERVICE.c.weight.desc(), _SERVICE.c.position, _SERVICE.c.code)
)
_PUBLISHED_MATTER = Prepared(
    sa.select(_MATTER)
    .where(
        _MATTER.c.hall_id == sa.bindparam("hall_id"),
        _MATTER.c.code == sa.bindparam("code"),
        _MATTER.c.published,
    )
    .order_by(_MATTER.c.version.desc())
    .limit(1)
)
