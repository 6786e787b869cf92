"""The hall as the public API describes it: names, address and telephone, and its place in the
市/县/乡 hierarchy (hall file ``[hall]``)."""

from __future__ import annotations

from sqlmodel import select

from queue_server.services.engine.models import Reply
from queue_server.services.engine.tx import Tx
from queue_server.store.tables import Hall


class HallInfoView(Reply):
    code: str
    name: str
    short_name: str | None
    tz: str
    address: str
    phone: str
    level: str  # city / county / township
    parent: str | None  # the code of the hall one level up; it may run on another server
    parent_name: str | None  # the parent's name when that hall is in this database, else None


def hall_info(tx: Tx) -> HallInfoView:
    hall = tx.hall
    parent = None
    if hall.parent is not None:
        parent = tx.session.exec(select(Hall.name).where(Hall.code == hall.parent)).first()
    return HallInfoView(
        code=hall.code,
        name=hall.name,
        short_name=hall.short_name,
        tz=hall.tz,
        address=hall.address,
        phone=hall.phone,
        level=hall.level,
        parent=hall.parent,
        parent_name=parent,
    )
