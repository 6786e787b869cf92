"""The facade's administration part: the hall's sections edited in the browser (``sections.py``)."""

from __future__ import annotations

from collections.abc import Callable

from queue_server.halls.passwords import generate_password
from queue_server.services.engine.access import require_admin
from queue_server.services.engine.base import FacadePart
from queue_server.services.engine.tx import Tx
from queue_server.services.people.signin import SignIn
from queue_server.services.ports import Actor, DeviceConfigFollower
from queue_server.services.usecases import UseCase

from . import sections, staff_edits
from .models import (
    CalendarYear,
    HistoryEntry,
    PasswordReset,
    PasswordSet,
    SectionEdit,
    SectionName,
    SectionSaved,
    SectionView,
    StaffCreate,
    StaffCreated,
    StaffFields,
)

# The sections whose edits may change what devices are told (the services a kiosk offers, a window's,
# the hall's name, a window's department, a device's own entry).
DEVICE_SECTIONS = frozenset(
    {
        SectionName.SERVICES,
        SectionName.WINDOWS,
        SectionName.POLICIES,
        SectionName.HALL,
        SectionName.DEPARTMENTS,
        SectionName.DEVICES,
    }
)


class AdminUseCases(FacadePart):
    sign_ins: SignIn

    def admin_section(self, hall: str, section: SectionName, *, actor: Actor) -> SectionView:
        return self._read(hall, lambda tx: sections.read_section(tx, section, actor))

    def save_admin_section(
        self,
        hall: str,
        section: SectionName,
        edit: SectionEdit,
        *,
        actor: Actor,
        request_id: str | None = None,
    ) -> SectionSaved:
        def save(tx: Tx) -> SectionSaved:
            return sections.save_section(tx, section, edit.data, actor, etag=edit.etag)

        return self._edited(hall, section, UseCase.EDIT_HALL_SECTION, save, actor, request_id)

    def create_staff(
        self, hall: str, body: StaffCreate, *, actor: Actor, request_id: str | None = None
    ) -> StaffCreated:
        """A new account; without a typed password a one-time one is generated and returned once (it
        is never stored in the clear, nor in the request log: such a request is not replayable)."""
        require_admin(actor)
        password = body.password or generate_password()
        rid = request_id if body.password else None
        saved = self._edited(
            hall,
            SectionName.STAFF,
            UseCase.CREATE_STAFF,
            lambda tx: staff_edits.create_person(tx, body, password, actor),
            actor,
            rid,
        )
        shown = None if body.password else password
        return StaffCreated(saved=saved, password=PasswordSet(login=body.login, one_time_password=shown))

    def edit_staff(
        self, hall: str, login: str, body: StaffFields, *, actor: Actor, request_id: str | None = None
    ) -> SectionSaved:
        def edit(tx: Tx) -> SectionSaved:
            return staff_edits.update_person(tx, login, body, actor)

        return self._edited(hall, SectionName.STAFF, UseCase.EDIT_STAFF, edit, actor, request_id)

    def deactivate_staff(
        self, hall: str, login: str, *, actor: Actor, request_id: str | None = None
    ) -> SectionSaved:
        def retire(tx: Tx) -> SectionSaved:
            return staff_edits.deactivate_person(tx, login, actor)

        return self._edited(hall, SectionName.STAFF, UseCase.DEACTIVATE_STAFF, retire, actor, request_id)

    def admin_reset_password(
        self, hall: str, login: str, body: PasswordReset, *, actor: Actor, request_id: str | None = None
    ) -> PasswordSet:
        """The typed password, or a generated one shown once; the person changes it at sign-in."""
        require_admin(actor)
        generated = body.password is None
        password = body.password or generate_password()
        self.sign_ins.reset_password(hall, login, password, actor, None if generated else request_id)
        return PasswordSet(login=login, one_time_password=password if generated else None)

    def admin_history(
        self, hall: str, section: SectionName | None, *, actor: Actor, limit: int = 50
    ) -> list[HistoryEntry]:
        return self._read(hall, lambda tx: sections.history(tx, actor, section, limit))

    def admin_calendar(self, hall: str, year: int, *, actor: Actor) -> CalendarYear:
        return self._read(hall, lambda tx: sections.calendar_year(tx, year, actor))

    def _edited(
        self,
        hall: str,
        section: SectionName,
        use_case: UseCase,
        fn: Callable[[Tx], SectionSaved],
        actor: Actor,
        request_id: str | None,
    ) -> SectionSaved:
        saved = self._write(hall, use_case, fn, SectionSaved, actor, request_id)
        if saved.changes and section in DEVICE_SECTIONS:
            for announcer in self.runner.announcers:
                if isinstance(announcer, DeviceConfigFollower):
                    announcer.device_configs_changed(hall)
        return saved
