"""The names of the use cases, one per kind of change a hall records.

A name is stored with each request id in the request log (``engine/request_log.py``): a request id
replayed for another use case is refused, so the values never change once released. Reads have no
name: they are not logged.
"""

from enum import StrEnum


class UseCase(StrEnum):
    # The queue: tickets, calls and windows (queue/).
    ISSUE_TICKET = "ticket.issue"
    CHECK_IN_APPOINTMENT = "appointment.checkin"
    BOOK_APPOINTMENT = "appointment.book"
    CANCEL_APPOINTMENT = "appointment.cancel"
    RESCHEDULE_APPOINTMENT = "appointment.reschedule"
    CLAIM_REMINDERS = "appointment.remind"
    RECORD_REMINDER = "appointment.reminded"
    ISSUE_SPECIAL = "ticket.special_grant"
    HOLD_TICKET = "ticket.hold"
    RESUME_TICKET = "ticket.resume"
    CALL_NEXT = "window.next"
    CALL_TICKET = "window.call"
    RECALL = "window.recall"
    START = "window.start"
    FINISH = "window.finish"
    NO_SHOW = "window.no_show"
    PAUSE = "window.pause"
    RESUME = "window.resume"
    OPEN_WINDOW = "window.open"
    CLOSE_WINDOW = "window.close"
    TRANSFER = "window.transfer"
    CONFIRM_PRIORITY = "window.confirm_priority"
    BOOK_DOOR_VISIT = "door_visit.book"
    RECORD_DOOR_VISIT = "door_visit.record"
    CANCEL_DOOR_VISIT = "door_visit.cancel"
    # The guide desk (queue/guide.py) and the citizen's own cancel (queue/voiding.py).
    GUIDE_ISSUE = "guide.issue"
    GUIDE_VOID = "guide.void"
    GUIDE_REPRINT = "guide.reprint"
    GUIDE_ENQUIRY = "guide.enquiry"
    CITIZEN_CANCEL = "citizen.cancel"
    # Casework: cases, documents, ratings, rectification (casework/).
    FINISH_CASE = "case.finish"
    ADD_CASE_DETAILS = "case.details"
    COMPLETE_CASE_PART = "case.part_done"
    CLOSE_CASE = "case.close"
    RECORD_PRINT = "document.print"
    # Pages captured at the kiosk (casework/materials.py).
    UPLOAD_MATERIAL = "material.upload"
    MARK_MATERIAL_WRONG = "material.mark_wrong"
    SET_WINDOW_PRINTER = "window.printer"
    # Privacy: phone numbers, ID hashes and old request-log rows deleted (engine/retention.py).
    PURGE_PERSONAL_DATA = "retention.purge"
    RATE_VISIT = "evt.rating"
    CITIZEN_RATING = "citizen.rating"
    OPEN_RECTIFICATIONS = "rectification.list"
    ASSIGN_RECTIFICATION = "rectification.assign"
    NOTE_RECTIFICATION = "rectification.note"
    CLOSE_RECTIFICATION = "rectification.close"
    # People and devices (people/, views/device_config.py).
    LOG_IN = "auth.login"
    SIGN_IN = "staff.sign_in"
    SIGN_OUT = "staff.sign_out"
    RECORD_DEVICE_STATUS = "dev.status"
    VERSION_DEVICE_CONFIGS = "device.config"
    # Supervision (supervision/).
    EVALUATE_ALERTS = "supervision.evaluate"
    ACKNOWLEDGE_ALERT = "alert.acknowledge"
    # Accounts (people/accounts.py).
    LOG_IN_FAILED = "auth.login_failed"
    LOG_OUT = "auth.logout"
    CHANGE_PASSWORD = "auth.password_change"  # noqa: S105  (a use-case name)
    RESET_PASSWORD = "auth.password_reset"  # noqa: S105  (a use-case name)
    # The administrators' edits of the hall's sections (admin/).
    EDIT_HALL_SECTION = "admin.section"
    CREATE_STAFF = "admin.staff_create"
    EDIT_STAFF = "admin.staff_edit"
    DEACTIVATE_STAFF = "admin.staff_deactivate"
    # The catalog's workflow (catalog_admin/).
    CREATE_MATTER_DRAFT = "catalog.draft"
    EDIT_MATTER_DRAFT = "catalog.edit"
    SUBMIT_MATTER_DRAFT = "catalog.submit"
    WITHDRAW_MATTER_DRAFT = "catalog.withdraw"
    REJECT_MATTER_DRAFT = "catalog.reject"
    PUBLISH_MATTER_DRAFT = "catalog.publish"
