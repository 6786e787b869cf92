"""The documents on paper: the window's thermal printer (real ESC/POS bytes into a simulated network
printer, decoded independently) and the A4 page; failures to print never undo a case."""

from __future__ import annotations

import re

from devices.codes import parse_code
from devices.printer import NetworkTransportConfig, PrinterConfig
from devices.simulators import TcpPrinterSimulator
from queue_server.services.casework.models import CaseRequest
from queue_server.services.casework.printing import NO_PRINTER
from tests.devices.escpos_decoder import Cut, Qr, events_of, texts
from tests.services.helpers import DeskHall, page_text, printer


def _printed(sim: TcpPrinterSimulator, jobs: int = 1) -> str:
    out = sim.core.wait_output(lambda data: data.count(b"\x1dV") >= jobs)
    return "".join(texts(out))


def test_one_time_notice_prints_every_missing_material_the_basis_and_the_return_qr(
    dh_sqlite: DeskHall,
) -> None:
    dh = dh_sqlite
    with printer() as sim:
        dh.attach_printer("1", sim)
        dh.issue("A", matter="A01")
        dh.serve("1", "zhang")
        request = CaseRequest(
            case_type="supplement", applicant_name="李雷", missing_materials=["A01-M1", "A01-M3"]
        )
        result = dh.finish("1", "zhang", request)
        number = result.case.case_number
        assert [(p.kind, p.printed, p.error) for p in result.printing] == [("one_time_notice", True, None)]
        out = sim.core.wait_output(lambda data: b"\x1dV" in data)
    text = "".join(texts(out))
    pieces = (
        "一次性告知书", "测试市民大厅", number, "李*", "户口迁移", "居民户口簿", "准予迁入证明", "共2项",
        "《中华人民共和国行政许可法》", "宁夏回族自治区政务服务办法", "民政局（盖章处）", "2025年3月12日",
    )  # fmt: skip
    for piece in pieces:
        assert piece in text, piece
    assert "居民身份证" not in text  # it was not missing
    qr = events_of(out, Qr)
    assert [q.payload.decode() for q in qr] == [f"hallq://n/{number}"]
    assert parse_code(qr[0].payload.decode()) is not None  # what the kiosk scanner reads as a notice
    assert len(events_of(out, Cut)) == 1
    doc = result.case.documents[0]
    assert doc.print_count == 1 and doc.printed_at is not None and doc.print_error is None


def test_the_a4_notice_says_the_same(dh_sqlite: DeskHall) -> None:
    dh = dh_sqlite
    dh.issue("A", matter="A01")
    dh.serve("1", "zhang")
    request = CaseRequest(
        case_type="supplement", applicant_name="李雷", missing_materials=["A01-M1", "A01-M3"]
    )
    case = dh.finish("1", "zhang", request).case
    page = dh.services.document_page(dh.code, case.documents[0].id)
    text = page_text(page)
    assert text.count("一次性告知书") >= 1 and case.case_number in text
    assert "1. 居民户口簿" not in text  # an <ol>: numbers are the list's, names are the items
    items = re.findall(r'<ol class="items missing">(.*?)</ol>', page)[0]
    assert re.findall(r"<li>(.*?)</li>", items) == ["居民户口簿", "准予迁入证明"]
    assert "共2项" in text and "李*" in text and "李雷" not in text
    assert "（盖章处）" in text and "民政局" in text and "2025年3月12日" in text
    assert f'data-payload="hallq://n/{case.case_number}"' in page and "<svg" in page
    assert "@page { size: A4;" in page and "@media print" in page
    assert "http://" not in page.replace(
        'xmlns="http://www.w3.org/2000/svg"', ""
    )  # nothing fetched from elsewhere


def test_acceptance_receipt_on_paper_and_a4(dh_sqlite: DeskHall) -> None:
    dh = dh_sqlite
    with printer() as sim:
        dh.attach_printer("2", sim)
        ticket = dh.issue("B", matter="B01", materials=["B01-M1"])
        dh.serve("2", "zhang")
        case = dh.finish("2", "zhang", CaseRequest(case_type="promised", applicant_name="韩梅梅")).case
        text = _printed(sim)
    pieces = (
        "受理凭证", case.case_number, "企业设立登记", "承诺件", "韩**", "市场监管局", "2号窗口",
        "3个工作日", "2025年3月17日", "设立登记申请书", "公司章程", "市场监管局（盖章处）",
    )  # fmt: skip
    for piece in pieces:
        assert piece in text, piece
    page = page_text(dh.services.document_page(dh.code, case.documents[0].id))
    for expected in (
        "受理凭证",
        case.case_number,
        "办结期限",
        "2025年3月17日",
        "承办部门",
        "市场监管局",
        "（盖章处）",
    ):
        assert expected in page, expected
    assert ticket.ticket_id not in page  # the citizen's token is on the paper's QR only


def test_rejection_notice_on_paper_and_a4(dh_sqlite: DeskHall) -> None:
    dh = dh_sqlite
    with printer() as sim:
        dh.attach_printer("1", sim)
        dh.issue("A", matter="A01")
        dh.serve("1", "zhang")
        reasons = ["不属于本机关职权范围", "申请事项依法不需要取得行政许可"]
        case = dh.finish("1", "zhang", CaseRequest(case_type="returned", reasons=reasons)).case
        text = _printed(sim)
    for expected in ("不予受理通知书", case.case_number, *reasons, "行政复议", "2025年3月12日"):
        assert expected in text, expected
    page = page_text(dh.services.document_page(dh.code, case.documents[0].id))
    for expected in ("不予受理通知书", *reasons, "决定时间", "行政复议"):
        assert expected in page, expected


def test_a_dead_printer_never_undoes_the_case_and_a_reprint_works_later(dh_sqlite: DeskHall) -> None:
    dh = dh_sqlite
    with printer() as sim:
        port = sim.port
        dh.attach_printer("1", sim)
    # The printer is gone now: the finish succeeds, the document waits, the reason is recorded.
    dh.issue("A", matter="A01")
    dh.serve("1", "zhang")
    result = dh.finish("1", "zhang", CaseRequest(case_type="supplement", missing_materials=["A01-M2"]))
    assert [(p.printed, p.error) for p in result.printing] == [(False, "打印机未连接")]
    document = result.case.documents[0]
    assert document.print_count == 0 and document.print_error == "打印机未连接"
    with TcpPrinterSimulator(port=port) as back:
        outcome = dh.services.print_document(dh.code, document.id)
        assert outcome.printed and "居民身份证" in _printed(back)
    again = dh.services.case(dh.code, result.case.case_number).documents[0]
    assert again.print_count == 1 and again.print_error is None


def test_no_printer_at_the_window_means_the_a4_page(dh_sqlite: DeskHall) -> None:
    dh = dh_sqlite
    dh.issue("B", matter="B01")
    dh.serve("2", "zhang")
    result = dh.finish("2", "zhang", CaseRequest(case_type="promised"))
    assert [(p.printed, p.error) for p in result.printing] == [(False, NO_PRINTER)]
    assert dh.services.window_printer(dh.code, "2") is None


def test_window_printer_configuration(dh_sqlite: DeskHall) -> None:
    dh = dh_sqlite
    config = PrinterConfig(transport=NetworkTransportConfig(host="127.0.0.1"), width_mm=58)
    dh.services.set_window_printer(dh.code, "3", config, actor=dh.hall.admin)
    assert dh.services.window_printer(dh.code, "3") == config
    dh.services.set_window_printer(dh.code, "3", None, actor=dh.hall.admin)
    assert dh.services.window_printer(dh.code, "3") is None


def test_58mm_paper_still_holds_everything(dh_sqlite: DeskHall) -> None:
    dh = dh_sqlite
    with printer() as sim:
        config = PrinterConfig(transport=NetworkTransportConfig(host="127.0.0.1", port=sim.port), width_mm=58)
        dh.services.set_window_printer(dh.code, "1", config, actor=dh.hall.admin)
        dh.issue("A", matter="A01")
        dh.serve("1", "zhang")
        all_three = ["A01-M1", "A01-M2", "A01-M3"]
        dh.finish("1", "zhang", CaseRequest(case_type="supplement", missing_materials=all_three))
        text = _printed(sim)
    assert all(name in text for name in ("居民户口簿", "居民身份证", "准予迁入证明")) and "共3项" in text
