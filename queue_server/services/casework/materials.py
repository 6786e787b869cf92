"""Pages of materials captured at the kiosk: upload with the ticket's token, see at the serving window,
mark a page wrong (it goes into the one-time notice), attach to the case the visit becomes.

Who sees a page: the citizen by the ticket's token, a member of staff signed in at the window whose
current ticket is the visit's (a transferred visit: the window it was transferred to), and managers.
Nobody else, and no device. The bytes are checked by their first bytes (JPEG or PNG; the header's
type must agree) and their size; nothing here logs or records them beyond their digest.
"""

from __future__ import annotations

import hashlib
from datetime import datetime

import sqlalchemy as sa
from pydantic import BaseModel, Field
from sqlmodel import col, select

from queue_server.errors import BadRequestError, InvalidStateError, NotAuthorizedError, NotFoundError
from queue_server.protocol.messages import TicketState
from queue_server.services.engine.access import SUPERVISORS, authorize_window
from queue_server.services.engine.lookup import staff_by_login, ticket_by_token, window_by_number
from queue_server.services.engine.tx import Tx, pk
from queue_server.services.ports import Actor, Role
from queue_server.store.tables import Case, Material, Ticket, Window
from queue_server.store.tables.materials import MaterialImage, MaterialImageData

JPEG = "image/jpeg"
PNG = "image/png"
# The first bytes of each accepted type; a JPEG also ends with its EOI marker (a cut-off upload does not).
_MAGIC = {JPEG: b"\xff\xd8\xff", PNG: b"\x89PNG\r\n\x1a\n"}
_JPEG_END = b"\xff\xd9"
MAX_PAGE_NO = 20  # pages of one material
MAX_PAGES = 60  # pages of one visit
# A visit takes pages until the window has finished with it.
_OPEN = frozenset({TicketState.WAITING, TicketState.HELD, TicketState.CALLED, TicketState.SERVING})


class MaterialPage(BaseModel):
    """One captured page as the console, the citizen and the kiosk see it (never the bytes)."""

    id: int
    material: str = Field(description="the material's catalogue code")
    material_name: str
    page: int
    content_type: str
    size: int
    uploaded_at: datetime
    wrong_reason: str | None = None


class MaterialPages(BaseModel):
    ticket: str = Field(description="the visit's ticket number")
    pages: list[MaterialPage]


class WrongPage(BaseModel):
    """A page the window refused, as the one-time notice names it."""

    material: str
    material_name: str
    page: int
    reason: str


# --- pure rules ----------------------------------------------------------------------------------


def sniff(data: bytes) -> str | None:
    """The type the bytes themselves say (JPEG, PNG), or None for anything else or a cut-off JPEG."""
    for kind, magic in _MAGIC.items():
        if data.startswith(magic):
            if kind == JPEG and not data.rstrip(b"\x00").endswith(_JPEG_END):
                return None
            return kind
    return None


def check_upload(data: bytes, declared: str | None, max_bytes: int) -> str:
    """The content type of an acceptable page; BadRequestError for an empty, too big or foreign one."""
    if not data:
        raise BadRequestError("上传内容为空。", field="body")
    if len(data) > max_bytes:
        raise BadRequestError("图片过大。", field="body", limit=max_bytes, too_large=True)
    kind = sniff(data)
    if kind is None:
        raise BadRequestError("仅接受 JPEG 或 PNG 图片。", field="content_type")
    media = (declared or "").split(";")[0].strip().lower()
    if media != kind:
        raise BadRequestError("图片类型与声明的类型不符。", field="content_type", declared=media, actual=kind)
    return kind


# --- the visit's tickets -------------------------------------------------------------------------


def root_of(tx: Tx, ticket: Ticket) -> Ticket:
    """The visit's first ticket (a transfer makes a child ticket; the pages stay on the first)."""
    while ticket.parent_ticket_id is not None:
        parent = tx.session.get(Ticket, ticket.parent_ticket_id)
        if parent is None:
            break
        ticket = parent
    return ticket


def visit_ids(tx: Tx, root: Ticket) -> list[int]:
    """The ids of the visit's tickets, first to newest."""
    ids = [pk(root)]
    while True:
        child = tx.session.exec(select(Ticket.id).where(Ticket.parent_ticket_id == ids[-1])).first()
        if child is None:
            return ids
        ids.append(child)


# --- upload (the kiosk, with the ticket's token) -------------------------------------------------


def upload(
    tx: Tx, token: str, material_code: str, page: int, data: bytes, declared: str | None
) -> MaterialPage:
    """Store one page of one of the ticket's matter's materials; the same page again replaces it."""
    kind = check_upload(data, declared, tx.settings.material_image_max_bytes)
    if not 1 <= page <= MAX_PAGE_NO:
        raise BadRequestError("页码超出范围。", field="page", max=MAX_PAGE_NO)
    ticket = root_of(tx, ticket_by_token(tx, token, lock=True))
    current = tx.session.get(Ticket, visit_ids(tx, ticket)[-1])
    if current is None or TicketState(current.state) not in _OPEN:
        raise InvalidStateError(
            "该号票已办结，不能再上传材料。", state=None if current is None else current.state
        )
    material = _material(tx, ticket, material_code)
    row = tx.session.exec(
        select(MaterialImage).where(
            MaterialImage.ticket_id == pk(ticket),
            MaterialImage.material_code == material.code,
            MaterialImage.page == page,
        )
    ).first()
    new = row is None
    if row is None:
        if _count(tx, pk(ticket)) >= MAX_PAGES:
            raise BadRequestError("材料页数已达上限。", field="page", max=MAX_PAGES)
        row = MaterialImage(
            hall_id=tx.hall_id,
            ticket_id=pk(ticket),
            material_code=material.code,
            material_name=material.name,
            page=page,
            content_type=kind,
            size=len(data),
            sha256="",
            uploaded_at=tx.now,
        )
    row.content_type, row.size, row.uploaded_at = kind, len(data), tx.now
    row.sha256 = hashlib.sha256(data).hexdigest()
    row.wrong_reason, row.marked_by_id, row.marked_at = None, None, None
    tx.session.add(row)
    tx.session.flush()
    blob = None if new else tx.session.get(MaterialImageData, pk(row))  # a retake replaces the bytes
    if blob is None:
        tx.session.add(MaterialImageData(image_id=pk(row), data=data))
    else:
        blob.data = data
    tx.event("material_uploaded", ticket=ticket, material=material.code, page=page, size=len(data))
    return page_of(row)


def _material(tx: Tx, ticket: Ticket, code: str) -> Material:
    if ticket.matter_id is None:
        raise BadRequestError("该号票未选择办理事项，不能上传材料。", field="material")
    material = tx.session.exec(
        select(Material).where(Material.matter_id == ticket.matter_id, Material.code == code)
    ).first()
    if material is None:
        raise BadRequestError("该材料不在本事项的材料清单中。", field="material", material=code)
    return material


def _count(tx: Tx, ticket_id: int) -> int:
    return int(
        tx.session.exec(
            select(sa.func.count()).select_from(MaterialImage).where(MaterialImage.ticket_id == ticket_id)
        ).one()
    )


# --- reading pages -------------------------------------------------------------------------------


def page_of(row: MaterialImage) -> MaterialPage:
    return MaterialPage(
        id=pk(row),
        material=row.material_code,
        material_name=row.material_name,
        page=row.page,
        content_type=row.content_type,
        size=row.size,
        uploaded_at=row.uploaded_at,
        wrong_reason=row.wrong_reason,
    )


def pages_of(tx: Tx, root: Ticket) -> MaterialPages:
    """The visit's pages in the matter's material order, then page order."""
    order = {}
    if root.matter_id is not None:
        codes = tx.session.exec(
            select(Material.code).where(Material.matter_id == root.matter_id).order_by(col(Material.position))
        ).all()
        order = {code: i for i, code in enumerate(codes)}
    rows = tx.session.exec(select(MaterialImage).where(MaterialImage.ticket_id == pk(root))).all()
    rows = sorted(rows, key=lambda r: (order.get(r.material_code, len(order)), r.material_code, r.page))
    return MaterialPages(ticket=root.number, pages=[page_of(r) for r in rows])


def citizen_pages(tx: Tx, token: str) -> MaterialPages:
    return pages_of(tx, root_of(tx, ticket_by_token(tx, token)))


def citizen_image(tx: Tx, token: str, image_id: int) -> tuple[str, bytes]:
    root = root_of(tx, ticket_by_token(tx, token))
    row = _image(tx, image_id)
    if row.ticket_id != pk(root):
        raise NotFoundError("未找到该材料。", what="material_image")
    return row.content_type, _bytes(tx, image_id)


def window_pages(tx: Tx, window_no: str, actor: Actor) -> MaterialPages:
    """The pages of the visit at the window now (none: an empty list)."""
    window = window_by_number(tx, window_no)
    _require_viewer(tx, actor, window)
    current = None if window.current_ticket_id is None else tx.session.get(Ticket, window.current_ticket_id)
    if current is None:
        return MaterialPages(ticket="", pages=[])
    return pages_of(tx, root_of(tx, current))


def staff_image(tx: Tx, image_id: int, actor: Actor) -> tuple[str, bytes]:
    row = _image(tx, image_id)
    authorize_visit(tx, actor, row.ticket_id)
    return row.content_type, _bytes(tx, image_id)


def authorize_visit(tx: Tx, actor: Actor, ticket_id: int) -> None:
    """Managers, and staff at the window serving the visit now (after a transfer: the window it went
    to); NotAuthorizedError for anyone else and for devices."""
    if actor.role in SUPERVISORS:
        return
    if actor.role is not Role.STAFF:
        raise NotAuthorizedError("仅办理窗口和值班长可查看材料图片。")
    root = tx.session.get(Ticket, ticket_id)
    if root is None:
        raise NotFoundError("未找到该材料。", what="material_image")
    ids = visit_ids(tx, root)
    windows = tx.session.exec(
        select(Window).where(Window.hall_id == tx.hall_id, col(Window.current_ticket_id).in_(ids))
    ).all()
    for window in windows:
        try:
            authorize_window(tx, actor, window)
        except NotAuthorizedError:
            continue
        return
    raise NotAuthorizedError("仅办理该号票的窗口和值班长可查看材料图片。")


def _require_viewer(tx: Tx, actor: Actor, window: Window) -> None:
    if actor.role is not Role.STAFF and actor.role not in SUPERVISORS:
        raise NotAuthorizedError("仅办理窗口和值班长可查看材料图片。")
    authorize_window(tx, actor, window)


def _image(tx: Tx, image_id: int) -> MaterialImage:
    row = tx.session.get(MaterialImage, image_id)
    if row is None or row.hall_id != tx.hall_id:
        raise NotFoundError("未找到该材料。", what="material_image")
    return row


def _bytes(tx: Tx, image_id: int) -> bytes:
    blob = tx.session.get(MaterialImageData, image_id)
    if blob is None:
        raise NotFoundError("未找到该材料。", what="material_image")
    return bytes(blob.data)


# --- the window's verdict, the case, the notice ---------------------------------------------------


def mark_wrong(tx: Tx, image_id: int, reason: str | None, actor: Actor) -> MaterialPage:
    """Mark a page wrong with a reason (None or empty: the mark is taken back)."""
    row = _image(tx, image_id)
    authorize_visit(tx, actor, row.ticket_id)
    text = (reason or "").strip()
    if len(text) > 200:
        raise BadRequestError("原因过长。", field="reason", max=200)
    staff = staff_by_login(tx, actor.id)
    row.wrong_reason = text or None
    row.marked_by_id = pk(staff) if text else None
    row.marked_at = tx.now if text else None
    tx.session.add(row)
    ticket = tx.session.get(Ticket, row.ticket_id)
    tx.event(
        "material_marked",
        ticket=ticket,
        staff_id=pk(staff),
        material=row.material_code,
        page=row.page,
        wrong=bool(text),
    )
    tx.session.flush()
    return page_of(row)


def attach_to_case(tx: Tx, ticket: Ticket, case: Case) -> None:
    """The visit's pages now belong to its case too (a case opened from a ticket, at finish)."""
    if ticket.id is None:
        return
    root = root_of(tx, ticket)
    has_pages = tx.session.exec(select(MaterialImage.id).where(MaterialImage.ticket_id == pk(root))).first()
    if has_pages is None:
        return
    tx.session.flush()  # the case's id
    tx.session.execute(
        sa.update(MaterialImage).where(col(MaterialImage.ticket_id) == pk(root)).values(case_id=pk(case))
    )


def wrong_pages(tx: Tx, ticket: Ticket | None) -> list[WrongPage]:
    """The visit's pages marked wrong, in material and page order (for the one-time notice)."""
    if ticket is None:
        return []
    return [
        WrongPage(material=p.material, material_name=p.material_name, page=p.page, reason=p.wrong_reason)
        for p in pages_of(tx, root_of(tx, ticket)).pages
        if p.wrong_reason
    ]
