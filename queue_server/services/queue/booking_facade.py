"""The facade's booking use cases: what the public booking pages call (``api/routes/appointments.py``)
and the reminders the running server sends (``reminders.py``).

The booking pages are public: each write and each look-up by code and ID counts against the
caller's address (:data:`REQUESTS_PER_ADDRESS` per :data:`WINDOW_S`, in memory per server instance,
``people/throttle.py``), beyond which the answer is ``too_many_requests`` (HTTP 429). A resident ID
number reaches the server only in a request body and is hashed at once with the hall's ID key (the
kiosks' key: ``derive_key("id-hash")``); only the hash goes further.
"""

from __future__ import annotations

from datetime import date, datetime

from sqlmodel import select

from devices.privacy import id_hash as keyed_id_hash
from queue_server.domain.idcard import is_valid_id, normalize_id
from queue_server.errors import BadRequestError, HallqError
from queue_server.protocol.messages import ErrorCode
from queue_server.services.engine.base import FacadePart
from queue_server.services.engine.lookup import service_by_code
from queue_server.services.engine.tx import Tx
from queue_server.services.people.throttle import LoginThrottle, LoginThrottledError
from queue_server.services.queue import appointments, booking, reminders
from queue_server.services.queue.booking import Availability
from queue_server.services.queue.models import AppointmentResult
from queue_server.services.queue.notify import Notifier
from queue_server.services.usecases import UseCase
from queue_server.settings import Settings
from queue_server.store.tables import Service

REQUESTS_PER_ADDRESS = 20
WINDOW_S = 600.0
MAX_DAYS = 31


def booking_throttle() -> LoginThrottle:
    # One key per address (the "login" slot of the throttle); no second key.
    return LoginThrottle(REQUESTS_PER_ADDRESS, REQUESTS_PER_ADDRESS, WINDOW_S)


class BookingUseCases(FacadePart):
    settings: Settings
    notifier: Notifier
    _booking_throttle: LoginThrottle
    _id_key: bytes

    def resident_id_hash(self, number: str) -> str:
        """The hall's keyed hash of a resident ID number; a wrong number is refused, never echoed."""
        if not is_valid_id(normalize_id(number)):
            raise BadRequestError("身份证号码有误，请核对。", field="id_number")
        return keyed_id_hash(number, self._id_key)

    def count_booking_request(self, address: str | None) -> None:
        """Count one public booking request from `address`; 429 past the limit."""
        key = f"address:{address or 'unknown'}"
        now = self.clock().timestamp()
        try:
            self._booking_throttle.check(key, None, now)
        except LoginThrottledError as exc:
            raise HallqError(
                "操作过于频繁，请稍后再试。",
                code=ErrorCode.TOO_MANY_REQUESTS,
                retry_after_s=exc.retry_after_s,
            ) from None
        self._booking_throttle.failed(key, None, now)

    def bookable_services(self, hall: str) -> list[str]:
        def run(tx: Tx) -> list[str]:
            rows = tx.session.exec(select(Service).where(Service.hall_id == tx.hall_id, Service.active)).all()
            out = []
            for row in rows:
                cap = booking.capacity(tx, row)
                if max(cap.morning, cap.afternoon, cap.rest_day) > 0:
                    out.append(row.code)
            return out

        return self._read(hall, run)

    def booking_availability(self, hall: str, service: str, first: date | None, days: int) -> Availability:
        if not 1 <= days <= MAX_DAYS:
            raise BadRequestError(f"days 须在 1 到 {MAX_DAYS} 之间。", field="days")
        return self._read(
            hall, lambda tx: booking.availability(tx, service_by_code(tx, service), first or tx.today, days)
        )

    def find_appointment(self, hall: str, code: str, id_hash: str) -> AppointmentResult:
        return self._read(hall, lambda tx: appointments.find(tx, code, id_hash))

    def cancel_appointment(
        self, hall: str, code: str, id_hash: str, *, request_id: str | None = None
    ) -> AppointmentResult:
        return self._write(
            hall,
            UseCase.CANCEL_APPOINTMENT,
            lambda tx: appointments.cancel(tx, code, id_hash),
            AppointmentResult,
            request_id=request_id,
        )

    def reschedule_appointment(
        self,
        hall: str,
        code: str,
        id_hash: str,
        slot_start: datetime,
        slot_end: datetime,
        *,
        request_id: str | None = None,
    ) -> AppointmentResult:
        return self._write(
            hall,
            UseCase.RESCHEDULE_APPOINTMENT,
            lambda tx: appointments.reschedule(tx, code, id_hash, slot_start, slot_end),
            AppointmentResult,
            request_id=request_id,
        )

    def send_reminders(self, hall: str) -> int:
        """Claim the hall's due reminders, send each through the notifier, record the outcomes."""
        channel = self.notifier.channel
        claimed = self._write(
            hall, UseCase.CLAIM_REMINDERS, lambda tx: reminders.claim(tx, channel), reminders.Claimed
        )

        def record(reminder_id: int, error: str | None) -> None:
            self._write(
                hall,
                UseCase.RECORD_REMINDER,
                lambda tx: reminders.record(tx, reminder_id, error),
                reminders.Claimed,
            )

        return reminders.send_all(self.notifier, claimed.due, record)
