"""Tickets and documents, decoded from the real ESC/POS byte stream."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
from escpos.printer import Dummy
from hypothesis import given, settings
from hypothesis import strategies as st

from devices.escpos import commands as c
from devices.escpos.builder import EscposBuilder
from devices.printer import (
    ChecklistItem,
    MissingMaterial,
    NoticePrint,
    PaperLayout,
    ReceiptPrint,
    RejectionPrint,
    TicketPrint,
    render_acceptance_receipt,
    render_missing_materials_notice,
    render_rejection_notice,
    render_ticket,
)
from tests.devices.conftest import CITIZEN_URL, make_ticket
from tests.devices.escpos_decoder import Cut, Init, Qr, Raster, Size, Text, decode, events_of, texts

PUNCTUATION_ONLY = ("——————", "，。！")


def width(text: str) -> int:
    """Columns on a Chinese-mode printer, computed here independently of devices.escpos.text."""
    return sum(1 if ord(ch) < 0x80 else 2 for ch in text)


def test_ticket_starts_clean_and_ends_with_one_cut(ticket: TicketPrint) -> None:
    events = list(decode(render_ticket(ticket, PaperLayout.mm80())))
    assert isinstance(events[0], Init)
    assert events[-1] == Cut(partial=True)
    assert sum(isinstance(e, Cut) for e in events) == 1
    data = render_ticket(ticket, PaperLayout.mm80())
    assert data.startswith(c.ESC_INIT)
    assert data.endswith(c.GS_CUT + bytes([c.CUT_PARTIAL, 0]))


def test_ticket_native_chinese_text(ticket: TicketPrint) -> None:
    lines = events_of(render_ticket(ticket, PaperLayout.mm80()), Text)
    by_text = {line.text: line for line in lines}
    assert by_text["固原市政务服务中心"].chinese
    assert by_text["不动产登记"].chinese
    assert "前面还有 7 人" in by_text
    assert "预计等候约 21 分钟" in by_text
    assert "取号时间：2026年3月6日 09:12" in by_text  # UTC 01:12 shown in Asia/Shanghai
    assert "过号请重新取号。" in by_text
    assert "微信扫码查看排队进度" in by_text


def test_ticket_number_is_big_and_bold(ticket: TicketPrint) -> None:
    lines = events_of(render_ticket(ticket, PaperLayout.mm80()), Text)
    number = next(line for line in lines if line.text == "A023")
    assert number.scale == (2, 2)
    assert number.bold
    assert number.align == 1
    after = lines[lines.index(number) + 1]
    assert after.scale == (1, 1)  # the size goes back to normal after the number


def test_ticket_qr_payload_is_the_citizen_url(ticket: TicketPrint) -> None:
    (qr,) = events_of(render_ticket(ticket, PaperLayout.mm80()), Qr)
    assert qr.payload == CITIZEN_URL.encode()
    assert qr.module == PaperLayout.mm80().qr_module
    data = render_ticket(ticket, PaperLayout.mm80())
    assert c.qr(CITIZEN_URL.encode(), 6) in data


def test_ticket_without_url_has_no_qr() -> None:
    assert events_of(render_ticket(make_ticket(citizen_url=None), PaperLayout.mm80()), Qr) == []


def test_checklist_marks_checked_and_unchecked(ticket: TicketPrint) -> None:
    lines = texts(render_ticket(ticket, PaperLayout.mm80()))
    assert "√ 不动产登记申请书" in lines
    assert "□ 不动产权证书原件" in lines
    assert "□ 存量房买卖合同（网签备案）" in lines
    assert "□ 婚姻状况证明（如有）" in lines
    assert sum(line.startswith(("√ ", "□ ")) for line in lines) == 8 + 1  # 8 items and the legend


def test_priority_and_appointment_marks() -> None:
    plain = texts(render_ticket(make_ticket(), PaperLayout.mm80()))
    assert not any("优先" in line for line in plain)
    marked = texts(
        render_ticket(
            make_ticket(priority=True, priority_label="老年人", appointment=True), PaperLayout.mm80()
        )
    )
    assert "【优先】老年人" in marked
    assert "【预约】" in marked


def test_lines_of_only_full_width_punctuation_print_as_chinese() -> None:
    data = render_ticket(make_ticket(notices=PUNCTUATION_ONLY), PaperLayout.mm80())
    lines = {line.text: line for line in events_of(data, Text)}
    for notice in PUNCTUATION_ONLY:
        assert lines[notice].chinese
        assert c.FS_CHINESE_ON + notice.encode("gb18030") + c.FS_CHINESE_OFF + c.LF in data
    assert b"?" not in data.split(c.GS_2D)[0]  # no '?' substitutes before the QR block


def test_python_escpos_would_have_printed_question_marks() -> None:
    """Why we send our own bytes: the library's auto-encoder fails on punctuation-only lines."""
    dummy = Dummy()
    dummy.text("，。！\n")
    assert b"?" in dummy.output
    assert c.FS_CHINESE_ON not in dummy.output


@pytest.mark.parametrize(("layout", "columns"), [(PaperLayout.mm58(), 32), (PaperLayout.mm80(), 48)])
def test_every_line_fits_the_paper(layout: PaperLayout, columns: int, ticket: TicketPrint) -> None:
    for line in events_of(render_ticket(ticket, layout), Text):
        assert width(line.text) * line.scale[0] <= columns, line.text


def test_long_matter_name_wraps_by_display_width() -> None:
    matter = "国有建设用地使用权及房屋所有权首次登记（商品房项目整体办理）与预告登记注销"
    for layout in (PaperLayout.mm58(), PaperLayout.mm80()):
        lines = texts(render_ticket(make_ticket(matter_name=matter), layout))
        first = next(i for i, line in enumerate(lines) if line.startswith("办理事项："))
        label = "办理事项："
        continuation = []
        for line in lines[first + 1 :]:
            if not line.startswith(" " * width(label)):
                break
            continuation.append(line[len(label) * 2 :])
        rebuilt = lines[first][len(label) :] + "".join(continuation)
        assert rebuilt == matter
        assert width(lines[first]) == layout.columns or width(lines[first]) == layout.columns - 1
        per_line = (layout.columns - width(label)) // 2
        assert len(continuation) == -(-len(matter) // per_line) - 1  # 3 on 58 mm, 1 on 80 mm


def test_58_and_80_mm_differ_only_in_geometry(ticket: TicketPrint) -> None:
    narrow = texts(render_ticket(ticket, PaperLayout.mm58()))
    wide = texts(render_ticket(ticket, PaperLayout.mm80()))
    assert "-" * 32 in narrow and "-" * 48 in wide
    assert "".join(narrow).replace(" ", "").replace("-", "") == "".join(wide).replace(" ", "").replace(
        "-", ""
    )


def test_hall_name_is_double_size_when_it_fits_and_normal_when_not() -> None:
    short = events_of(render_ticket(make_ticket(hall_name="市民大厅"), PaperLayout.mm58()), Text)[0]
    assert (short.text, short.scale) == ("市民大厅", (2, 2))
    long_name = "宁夏回族自治区固原市原州区政务服务中心"
    first = events_of(render_ticket(make_ticket(hall_name=long_name), PaperLayout.mm58()), Text)[0]
    assert first.scale == (1, 1)
    assert first.bold


def test_control_characters_in_data_cannot_inject_commands() -> None:
    evil = make_ticket(matter_name="办证\x1b@\x1dV\x00\x10\x04\x01", service_name="A\x1bE\x01")
    events = list(decode(render_ticket(evil, PaperLayout.mm80())))  # strict decoder: no stray commands
    assert sum(isinstance(e, Cut) for e in events) == 1
    assert sum(isinstance(e, Init) for e in events) == 1


def test_rare_character_outside_the_rom_becomes_an_image_in_native_mode() -> None:
    rare = "𠈌"  # CJK Extension B: four bytes in GB18030, missing from GBK font ROMs
    data = render_ticket(make_ticket(notices=(f"{rare}先生请到服务台",)), PaperLayout.mm80())
    assert rare.encode("gb18030") not in data
    rasters = events_of(data, Raster)
    assert len(rasters) == 1
    assert rasters[0].width_dots == 576
    assert rasters[0].black_dots > 0


def test_image_mode_draws_chinese_lines_and_keeps_ascii_native(ticket: TicketPrint) -> None:
    layout = PaperLayout.mm80(chinese_mode="image")
    data = render_ticket(make_ticket(notices=PUNCTUATION_ONLY), layout)
    events = list(decode(data))
    assert not [e for e in events if isinstance(e, Text) and e.chinese]
    assert c.FS_CHINESE_ON not in data
    text_lines = [e.text for e in events if isinstance(e, Text)]
    assert "A023" in text_lines
    rasters = [e for e in events if isinstance(e, Raster)]
    native_lines = texts(render_ticket(make_ticket(notices=PUNCTUATION_ONLY), PaperLayout.mm80()))
    chinese_lines = [line for line in native_lines if not line.isascii()]
    assert len(rasters) == len(chinese_lines)
    assert all(r.width_dots == 576 and r.black_dots > 0 for r in rasters)
    # The two punctuation-only notices are the last two images: drawn, and different from each other.
    dash, marks = rasters[-2], rasters[-1]
    assert dash.data != marks.data
    assert events_of(data, Qr)[0].payload == CITIZEN_URL.encode()


def test_image_mode_centres_titles_and_stays_inside_the_paper() -> None:
    layout = PaperLayout.mm58(chinese_mode="image")
    rasters = events_of(render_ticket(make_ticket(hall_name="市民大厅"), layout), Raster)
    title = rasters[0]
    bounds = title.ink_columns()
    assert bounds is not None
    left, right = bounds
    assert abs(left - (title.width_dots - 1 - right)) <= 8  # centred
    assert title.height > 2 * rasters[1].height - 4  # double size, like GS ! 0x11
    for raster in rasters:
        assert raster.width_dots == 384


def test_image_qr_mode_has_no_native_qr() -> None:
    data = render_ticket(make_ticket(), PaperLayout.mm80(qr_mode="image"))
    assert events_of(data, Qr) == []
    (qr_image,) = [r for r in events_of(data, Raster) if r.height > 100]
    assert qr_image.width_dots == 576


def test_layouts() -> None:
    assert (PaperLayout.mm58().columns, PaperLayout.mm58().dots) == (32, 384)
    assert (PaperLayout.mm80().columns, PaperLayout.mm80().dots) == (48, 576)
    assert PaperLayout.for_width(58) == PaperLayout.mm58()
    with pytest.raises(ValueError, match="multiple of 8"):
        PaperLayout(80, 48, 570)


def test_naive_datetimes_are_refused() -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        make_ticket(issued_at=datetime(2026, 3, 6, 9, 12))  # noqa: DTZ001 - the point of the test


@settings(max_examples=60)
@given(
    matter=st.text(max_size=80),
    notice=st.text(max_size=80),
    ahead=st.integers(min_value=0, max_value=9999),
    image=st.booleans(),
)
def test_any_text_renders_to_a_valid_stream(matter: str, notice: str, ahead: int, image: bool) -> None:
    layout = PaperLayout.mm58(chinese_mode="image" if image else "native")
    data = render_ticket(make_ticket(matter_name=matter, notices=(notice,), people_ahead=ahead), layout)
    events = list(decode(data))  # raises on any stray byte
    assert sum(isinstance(e, Cut) for e in events) == 1
    for line in (e for e in events if isinstance(e, Text)):
        assert width(line.text) * line.scale[0] <= 32


# --- window documents ------------------------------------------------------------------------

ACCEPTED_AT = datetime(2026, 3, 6, 2, 30, tzinfo=UTC)


def test_acceptance_receipt() -> None:
    receipt = ReceiptPrint(
        hall_name="固原市政务服务中心",
        case_no="GY-20260306-0007",
        matter_name="存量房买卖转移登记",
        applicant_name="欧阳娜娜",
        accepted_at=ACCEPTED_AT,
        department="固原市不动产登记中心",
        case_type="承诺件",
        promised_days=5,
        deadline=date(2026, 3, 13),
        window="3",
        applicant_id_masked="6404**********1234",
        materials_received=("不动产登记申请书", "身份证复印件"),
        query_url="https://hall.example.cn/c/GY-20260306-0007",
    )
    data = render_acceptance_receipt(receipt, PaperLayout.mm80())
    lines = texts(data)
    assert lines[0] == "受理凭证"
    assert events_of(data, Text)[0].scale == (2, 2)
    assert "办件编号：GY-20260306-0007" in lines
    assert "受理时间：2026年3月6日 10:30" in lines
    assert "申 请 人：欧阳**" in lines
    assert "证件号码：6404**********1234" in lines
    assert "承诺时限：5个工作日" in lines
    assert "办结期限：2026年3月13日" in lines
    assert "受理窗口：3号窗口" in lines
    assert "1. 不动产登记申请书" in lines
    assert "固原市不动产登记中心（盖章处）" in lines
    assert lines[-1] == "2026年3月6日"
    assert "欧阳娜娜" not in data.decode("gb18030", errors="replace")
    (qr,) = events_of(data, Qr)
    assert qr.payload == b"https://hall.example.cn/c/GY-20260306-0007"
    assert events_of(data, Cut) == [Cut(partial=True)]


def test_receipt_refuses_an_unmasked_id() -> None:
    with pytest.raises(ValueError, match="masked"):
        ReceiptPrint(
            hall_name="h",
            case_no="C1",
            matter_name="m",
            applicant_name="张三",
            accepted_at=ACCEPTED_AT,
            department="d",
            applicant_id_masked="11010519491231002X",
        )


def test_missing_materials_notice_lists_all_and_links_the_return_visit() -> None:
    missing = tuple(MissingMaterial(f"材料{i}", "原件及复印件各一份") for i in range(1, 7))
    notice = NoticePrint(
        hall_name="固原市政务服务中心",
        case_no="GY-20260306-0008",
        matter_name="个体工商户设立登记",
        applicant_name="张三",
        issued_at=ACCEPTED_AT,
        department="固原市市场监督管理局",
        missing=missing,
        legal_basis=("《宁夏回族自治区政务服务办法》第十九条",),
        window="5",
    )
    for layout in (PaperLayout.mm58(), PaperLayout.mm80()):
        data = render_missing_materials_notice(notice, layout)
        joined = "".join(texts(data)).replace(" ", "")
        assert texts(data)[0] == "一次性告知书"
        assert "共6项" in joined
        for i in range(1, 7):
            assert f"{i}.材料{i}：原件及复印件各一份" in joined
        assert "《宁夏回族自治区政务服务办法》第十九条" in joined
        assert "申请人：张*" in joined and "张三" not in joined
        (qr,) = events_of(data, Qr)
        assert qr.payload == b"hallq://n/GY-20260306-0008"


def test_missing_materials_notice_needs_something_missing() -> None:
    with pytest.raises(ValueError, match="at least one"):
        NoticePrint(
            hall_name="h",
            case_no="C1",
            matter_name="m",
            applicant_name="张三",
            issued_at=ACCEPTED_AT,
            department="d",
            missing=(),
        )


def test_rejection_notice() -> None:
    rejection = RejectionPrint(
        hall_name="固原市政务服务中心",
        case_no="GY-20260306-0009",
        matter_name="建设工程规划许可",
        applicant_name="李四",
        rejected_at=ACCEPTED_AT,
        department="固原市自然资源局",
        reasons=("申请事项不属于本机关职权范围。", "申请人不具备申请资格。"),
    )
    data = render_rejection_notice(rejection, PaperLayout.mm80())
    lines = texts(data)
    joined = "".join(lines).replace(" ", "")
    assert lines[0] == "不予受理通知书"
    assert "决定时间：2026年3月6日 10:30" in lines
    assert "1.申请事项不属于本机关职权范围。" in joined
    assert "2.申请人不具备申请资格。" in joined
    assert "行政复议" in joined
    assert lines[-1] == "2026年3月6日"
    assert events_of(data, Qr) == []


def test_documents_in_image_mode_are_valid_streams() -> None:
    layout = PaperLayout.mm58(chinese_mode="image")
    rejection = RejectionPrint(
        hall_name="市民大厅",
        case_no="C-1",
        matter_name="事项",
        applicant_name="李四",
        rejected_at=ACCEPTED_AT,
        department="部门",
        reasons=("理由。",),
    )
    events = list(decode(render_rejection_notice(rejection, layout)))
    assert not [e for e in events if isinstance(e, Text) and e.chinese]
    assert [e for e in events if isinstance(e, Raster)]


def test_builder_sends_style_changes_only_when_they_change() -> None:
    data = EscposBuilder(PaperLayout.mm80()).init().bold(True).bold(True).scale(2).scale(2).line("X").build()
    assert data == c.ESC_INIT + c.bold(True) + c.size(2, 2) + b"X\n"
    assert [e for e in decode(data) if isinstance(e, Size)] == [Size(2, 2)]


def test_checklist_item_defaults() -> None:
    item = ChecklistItem("身份证")
    assert (item.checked, item.required, item.note) == (False, True, "")


def test_ticket_rejects_negative_people_ahead() -> None:
    with pytest.raises(ValueError, match="negative"):
        TicketPrint(hall_name="h", number="A1", service_name="s", issued_at=ACCEPTED_AT, people_ahead=-1)
