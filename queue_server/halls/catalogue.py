"""The catalogue of the hall file: matters (政务服务事项) with their disclosures and materials."""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated

from pydantic import (
    Field,
    model_validator,
)

from .errors import Loc, ProblemsError
from .values import (
    DeptCode,
    MatterCode,
    MidText,
    Name,
    Section,
    ServiceCode,
    ShortText,
    Text,
)


class CaseType(StrEnum):
    """The seven case types (七件管理制)."""

    IMMEDIATE = "immediate"  # 即办件
    PROMISED = "promised"  # 承诺件
    JOINT = "joint"  # 联办件
    APPROVAL = "approval"  # 报批件
    RETURNED = "returned"  # 退回件
    SUPPLEMENT = "supplement"  # 补办件
    SPECIAL = "special"  # 特办件


class MaterialForm(StrEnum):
    ORIGINAL = "original"  # 原件
    COPY = "copy"  # 复印件
    ORIGINAL_AND_COPY = "original_and_copy"  # 原件及复印件
    ELECTRONIC = "electronic"  # 电子材料


class Material(Section):
    """One item of 申报材料."""

    code: Annotated[str, Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9._-]{0,31}$")] = Field(title="material code")
    name: Name = Field(title="material name", description="e.g. 申请人身份证")
    copies: int = Field(default=1, ge=0, le=20, title="copies")
    form: MaterialForm = Field(
        default=MaterialForm.ORIGINAL, title="form", description="original / copy / both"
    )
    required: bool = Field(default=True, title="required", description="false: only in some cases (see note)")
    note: str = Field(default="", max_length=300, title="note")


class Matter(Section):
    """A catalogue entry (政务服务事项) with the eight public disclosures (八公开)."""

    code: MatterCode = Field(title="matter code", description="catalogue code, unique in the hall")
    name: Name = Field(title="matter name", description="e.g. 个体工商户设立登记")
    service: ServiceCode = Field(title="service", description="the queue a ticket for this matter joins")
    department: DeptCode = Field(title="department", description="the department that decides")
    co_departments: list[DeptCode] = Field(
        default_factory=list,
        title="co-departments",
        description="joint cases (联办件): departments in parallel",
    )
    case_type: CaseType = Field(title="case type", description="immediate/promised/joint/approval/…")
    promised_days: int = Field(
        default=0, ge=0, le=365, title="promised working days", description="0 for an immediate matter"
    )
    licensing: bool = Field(
        default=False, title="licensing", description="an administrative licence (行政许可)"
    )
    published: bool = Field(
        default=True, title="published", description="shown on kiosks and the catalogue page"
    )
    content: Text = Field(title="服务内容", description="disclosure 1: what the matter is")
    legal_basis: Text = Field(title="审批依据", description="disclosure 2: laws and regulations")
    conditions: Text = Field(title="申报条件", description="disclosure 3: who may apply")
    materials: list[Material] = Field(default_factory=list, title="申报材料", description="disclosure 4")
    procedure: Text = Field(title="办理程序", description="disclosure 5: the steps")
    time_limit: ShortText = Field(title="承诺期限", description="disclosure 6: the time limit, in words")
    fees: MidText = Field(title="收费标准", description="disclosure 7, e.g. 不收费")
    result: MidText = Field(title="办事结果", description="disclosure 8: the document issued")

    @model_validator(mode="after")
    def _case_rules(self) -> Matter:
        problems: list[tuple[Loc, str]] = []
        if self.case_type is CaseType.IMMEDIATE and self.promised_days:
            problems.append((("promised_days",), "an immediate matter (即办件) has no promised days; use 0"))
        if (
            self.case_type in (CaseType.PROMISED, CaseType.JOINT, CaseType.APPROVAL)
            and not self.promised_days
        ):
            problems.append((("promised_days",), f"a {self.case_type.value} matter needs promised_days >= 1"))
        if self.case_type is CaseType.JOINT and not self.co_departments:
            problems.append((("co_departments",), "a joint matter (联办件) needs at least one co-department"))
        if self.department in self.co_departments:
            i = self.co_departments.index(self.department)
            problems.append((("co_departments", i), "the lead department is not its own co-department"))
        seen: dict[str, int] = {}
        for i, material in enumerate(self.materials):
            if material.code in seen:
                problems.append(
                    (
                        ("materials", i, "code"),
                        f"duplicate material code {material.code!r} (materials[{seen[material.code]}])",
                    )
                )
            seen.setdefault(material.code, i)
        if problems:
            raise ProblemsError(problems)
        return self
