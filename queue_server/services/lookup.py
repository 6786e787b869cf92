"""Loading the rows a use case acts on, with the not-found errors said once."""

from __future__ import annotations

from sqlmodel import Session, col, select

from queue_server.domain.idcard import is_valid_id, normalize_id
from queue_server.errors import BadRequestError, NotFoundError, RefusedError
from queue_server.protocol.messages import ErrorCode
from queue_server.services.tx import Tx
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


def staff_by_login(tx: Tx, login: str) -> Staff:
    staff = tx.session.exec(
        select(Staff).where(Staff.hall_id == tx.hall_id, Staff.login == login, col(Staff.active))
    ).first()
    if staff is None:
        raise NotFoundError("未找到该工作人员。", what="staff", login=login)
    return staff


def window_services(tx: Tx, window: Window) -> list[tuple[Service, int]]:
    """The services a window handles with their skill weights, primary first."""
    rows = tx.session.exec(
        select(Service, WindowService.weight)
        .join(WindowService, col(WindowService.service_id) == col(Service.id))
        .where(WindowService.window_id == window.id, col(Service.active))
        .order_by(col(WindowService.weight).desc(), col(Service.position), col(Service.code))
    ).all()
    return [(service, weight) for service, weight in rows]
