"""The guide desk's requests and replies (``guide.py``)."""

from __future__ import annotations

from pydantic import Field

from queue_server.protocol.messages import TicketResult
from queue_server.services.engine.models import Reply, Request


class MatterHit(Reply):
    """A published matter found by name, code or pinyin initials."""

    code: str
    name: str
    service: str
    service_name: str
    pinyin_initials: str
    materials: list[str]


class GuideIssueRequest(Request):
    """A ticket the clerk issues on a citizen's behalf."""

    matter: str | None = Field(default=None, min_length=1, max_length=64)
    service: str | None = Field(default=None, min_length=1, max_length=16)
    priority: str | None = Field(
        default=None, max_length=32, description="a priority class the clerk saw proof of (confirmed)"
    )
    accompanied_by: str = Field(default="", max_length=64, description="陪同人员: who came with the citizen")
    special_reason: str | None = Field(
        default=None, max_length=200, description="特事特办: the reason; the ticket is then called first"
    )
    phone: str | None = Field(default=None, pattern=r"^[0-9+\- ]{5,20}$")
    id_hash: str | None = Field(default=None, min_length=16, max_length=128)
    materials: list[str] = Field(default_factory=list, max_length=100)
    note: str = Field(default="", max_length=200)


class GuideTicket(Reply):
    """The issued ticket and what the guide desk added to it."""

    ticket: TicketResult
    clerk: str = Field(description="the clerk's name")
    accompanied_by: str
    special: bool
    special_reason: str | None


class GuideTicketView(Reply):
    """A ticket as the guide desk sees it (the newest part of a transferred visit)."""

    ticket_id: str
    number: str
    day: str
    service: str
    service_name: str
    matter_name: str | None
    state: str
    state_label: str
    issued_at: float
    priority_label: str | None
    special: bool
    window: str | None
    window_name: str | None
    guide_clerk: str | None = Field(description="the clerk who issued it at the guide desk, if one did")
    voidable: bool


class GuideVoidRequest(Request):
    reason: str = Field(min_length=1, max_length=200)


class GuideSlip(Reply):
    """A reprint, recorded: the slip is a printable page at ``url`` (the guide desk's browser prints
    it on the desk's printer)."""

    ticket: GuideTicketView
    url: str


class EnquiryRequest(Request):
    """A citizen's question answered at the desk (咨询), counted by matter."""

    matter: str | None = Field(default=None, min_length=1, max_length=64)
    service: str | None = Field(default=None, min_length=1, max_length=16)
    note: str = Field(default="", max_length=200)


class EnquiryAck(Reply):
    matter: str | None
    matter_name: str | None
    service: str
    today: int = Field(description="enquiries recorded at this hall today")
