"""The three window documents as values: what a document says, independent of paper.

A document is stored as issued (``CaseDocument.content``) and rendered twice from the same value:
ESC/POS bytes for the window's thermal printer (``devices.printer`` renderers, via ``to_print``) and an
A4 HTML page (``documents.a4``). Names are kept as entered and masked by both renderers.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Literal
from zoneinfo import ZoneInfo

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, TypeAdapter

from devices.codes import notice_payload
from devices.printer import MissingMaterial, NoticePrint, ReceiptPrint, RejectionPrint
from devices.printer.documents import DEFAULT_REMEDY, DEFAULT_RETURN_INSTRUCTIONS
from queue_server.domain.cases import DocumentKind
from queue_server.protocol.defaults import HALL_TZ_NAME

# The regulation the one-time notice rests on (seed notice, 三(五)): cited on every notice, after the
# matter's own legal basis.
NOTICE_REGULATION = (
    "《宁夏回族自治区政务服务办法》：服务对象的申请材料不齐全或者不符合法定形式的，"
    "窗口必须一次性书面告知服务对象需要补正的全部材料。"
)
REJECTION_REGULATION = (
    "《宁夏回族自治区政务服务办法》：不予受理的，应当向申请人出具说明理由、注明日期、加盖印章的书面凭证。"
)


class _Content(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    hall_name: str
    case_no: str
    matter_name: str
    applicant_name: str = ""
    department: str
    window: str | None = None
    issued_at: AwareDatetime
    time_zone: str = HALL_TZ_NAME


class ReceiptContent(_Content):
    """受理凭证: date, case number, matter, deadline, department; the seal field is on the page."""

    kind: Literal[DocumentKind.ACCEPTANCE_RECEIPT] = DocumentKind.ACCEPTANCE_RECEIPT
    case_type_label: str | None = None
    promised_days: int | None = None
    deadline: date | None = None
    materials_received: tuple[str, ...] = ()
    query_url: str | None = None
    co_departments: tuple[str, ...] = ()  # a joint case's (联办件) other departments, by name

    def to_print(self) -> ReceiptPrint:
        return ReceiptPrint(
            hall_name=self.hall_name,
            case_no=self.case_no,
            matter_name=self.matter_name,
            applicant_name=self.applicant_name,
            accepted_at=self.issued_at,
            department=self.department,
            case_type=self.case_type_label,
            promised_days=self.promised_days,
            deadline=self.deadline,
            window=self.window,
            materials_received=self.materials_received,
            query_url=self.query_url,
            time_zone=self.time_zone,
            co_departments=self.co_departments,
        )


class MissingItem(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    name: str
    requirement: str = ""


class WrongPageItem(BaseModel):
    """A page captured at the kiosk that the window refused: which material, which page, and why."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    material_name: str
    page: int
    reason: str

    @property
    def text(self) -> str:
        return f"{self.material_name}第{self.page}页：{self.reason}"


class NoticeContent(_Content):
    """一次性告知书: ALL missing materials, the legal basis, how to come back, the return QR.

    ``wrong_pages`` names each page captured at the kiosk that the window refused (its material is
    among ``missing`` too): the citizen learns which page to bring again, and why."""

    kind: Literal[DocumentKind.ONE_TIME_NOTICE] = DocumentKind.ONE_TIME_NOTICE
    missing: tuple[MissingItem, ...] = Field(min_length=1)
    legal_basis: tuple[str, ...] = ()
    return_instructions: str = DEFAULT_RETURN_INSTRUCTIONS
    wrong_pages: tuple[WrongPageItem, ...] = ()

    @property
    def return_qr(self) -> str:
        """The QR payload a kiosk scanner classifies as a notice: it issues a linked return ticket."""
        return notice_payload(self.case_no)

    def to_print(self) -> NoticePrint:
        return NoticePrint(
            hall_name=self.hall_name,
            case_no=self.case_no,
            matter_name=self.matter_name,
            applicant_name=self.applicant_name,
            issued_at=self.issued_at,
            department=self.department,
            missing=tuple(MissingMaterial(m.name, self._requirement(m)) for m in self.missing),
            legal_basis=self.legal_basis,
            return_instructions=self.return_instructions,
            return_qr=self.return_qr,
            window=self.window,
            time_zone=self.time_zone,
        )

    def _requirement(self, item: MissingItem) -> str:
        """The item's requirement, then each of its pages the window refused (the thermal notice has
        one line per material)."""
        wrong = [
            f"第{p.page}页不符合要求：{p.reason}" for p in self.wrong_pages if p.material_name == item.name
        ]
        return "；".join([item.requirement, *wrong] if item.requirement else wrong)


class RejectionContent(_Content):
    """不予受理通知书: reasons, legal basis, date and remedies."""

    kind: Literal[DocumentKind.REJECTION_NOTICE] = DocumentKind.REJECTION_NOTICE
    reasons: tuple[str, ...] = Field(min_length=1)
    legal_basis: tuple[str, ...] = ()
    remedy: str = DEFAULT_REMEDY

    def to_print(self) -> RejectionPrint:
        return RejectionPrint(
            hall_name=self.hall_name,
            case_no=self.case_no,
            matter_name=self.matter_name,
            applicant_name=self.applicant_name,
            rejected_at=self.issued_at,
            department=self.department,
            reasons=self.reasons,
            legal_basis=self.legal_basis,
            remedy=self.remedy,
            window=self.window,
            time_zone=self.time_zone,
        )


DocumentContent = Annotated[ReceiptContent | NoticeContent | RejectionContent, Field(discriminator="kind")]
AnyContent = ReceiptContent | NoticeContent | RejectionContent
_ADAPTER: TypeAdapter[ReceiptContent | NoticeContent | RejectionContent] = TypeAdapter(DocumentContent)


def load_content(raw: object) -> ReceiptContent | NoticeContent | RejectionContent:
    """A stored document (``CaseDocument.content``) back as its value."""
    return _ADAPTER.validate_python(raw)


def local_date(value: datetime, zone: str) -> date:
    return value.astimezone(ZoneInfo(zone)).date()
