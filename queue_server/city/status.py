"""The city link as a manager or a monitor reads it, on either side: what waits, how old, what arrived."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, Field
from sqlalchemy import Engine, select, text

from queue_server.city.batch import hall_id_of
from queue_server.city.shipper import LinkState
from queue_server.errors import NotFoundError
from queue_server.store.engine import reader
from queue_server.store.tables.city import CITY_RECEIVED, CITY_SHIPPED


class CityLink(BaseModel):
    hall: str
    shipping: bool = Field(description="this server ships the hall to a city (hall appliance)")
    city_url: str | None = None
    pending: int = Field(description="changes the city has not acknowledged yet (outbox rows)")
    lag_s: int | None = Field(description="age of the oldest change the city lacks; None: it lacks none")
    acked_seq: int = Field(description="the outbox position the city acknowledged")
    acked_at: datetime | None
    last_error: str | None = Field(None, description="why the last attempt failed (cleared on success)")
    received_seq: int | None = Field(None, description="on the city: the hall's position it holds")
    received_at: datetime | None = None
    received_rows: int | None = Field(None, description="on the city: row images applied in all")


def link_status(
    engine: Engine, hall: str, now: datetime, state: LinkState | None, url: str | None
) -> CityLink:
    with reader(engine).connect() as conn, conn.begin():
        hall_id = hall_id_of(conn, hall)
        if hall_id is None:
            raise NotFoundError(hall=hall)
        pending, oldest = conn.execute(
            text("SELECT COUNT(*), MIN(at_s) FROM city_outbox WHERE hall_id = :h"), {"h": hall_id}
        ).one()
        s = CITY_SHIPPED.c
        shipped = conn.execute(select(s.acked_seq, s.acked_at).where(s.hall_id == hall_id)).first()
        r = CITY_RECEIVED.c
        received = conn.execute(select(r.seq, r.received_at, r.rows).where(r.hall_id == hall_id)).first()
    return CityLink(
        hall=hall,
        shipping=state is not None and state.running,
        city_url=url,
        pending=int(pending or 0),
        lag_s=None if oldest is None else max(0, int(now.timestamp()) - int(oldest)),
        acked_seq=0 if shipped is None else int(shipped[0]),
        acked_at=None if shipped is None else shipped[1],
        last_error=None if state is None else state.last_error,
        received_seq=None if received is None else int(received[0]),
        received_at=None if received is None else received[1],
        received_rows=None if received is None else int(received[2]),
    )
