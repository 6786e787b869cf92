"""Devices benchmark: ticket rendering (native Chinese and image mode) and the printer round trip.

- ``render_ticket_ms``: p50 of rendering a realistic 80 mm ticket (QR code, 8-item checklist) with
  the printer's Chinese font (FS & + GB18030). Target < 5 ms.
- ``render_ticket_image_ms``: the same ticket with every Chinese line drawn by Pillow (printers
  without a Chinese ROM), warm caches; the number, people ahead, wait and time change every render,
  so those lines are drawn each time as in real use. ``render_ticket_image_cold_ms``: the first
  ticket after start (font loading, nothing cached).
- ``printer_status_tcp_ms`` / ``print_ticket_tcp_ms``: DLE EOT status and a whole print job against
  the TCP printer simulator on loopback (connect, send, the cut arriving).
"""

from __future__ import annotations

import statistics
import time
from datetime import UTC, datetime, timedelta

from benchmarks.figures import Figures
from devices.escpos import raster
from devices.printer import (
    ChecklistItem,
    NetworkTransportConfig,
    PaperLayout,
    PrinterConfig,
    PrinterStatus,
    TicketPrint,
    open_printer,
    render_ticket,
)
from devices.simulators import TcpPrinterSimulator

CUT = b"\x1dVB\x00"
_START = datetime(2026, 3, 6, 1, 0, tzinfo=UTC)
_MATERIALS = (
    ChecklistItem("不动产登记申请书", checked=True),
    ChecklistItem("买卖双方身份证原件", checked=True),
    ChecklistItem("不动产权证书原件"),
    ChecklistItem("存量房买卖合同", note="网签备案"),
    ChecklistItem("完税凭证"),
    ChecklistItem("婚姻状况证明", required=False),
    ChecklistItem("抵押权注销证明", checked=True),
    ChecklistItem("委托书及受托人身份证", required=False),
)


def _ticket(i: int) -> TicketPrint:
    """The i-th ticket of a busy morning: every dynamic field differs from the previous ticket's."""
    return TicketPrint(
        hall_name="固原市政务服务中心",
        number=f"A{i % 1000:03d}",
        service_name="不动产登记",
        matter_name="存量房买卖转移登记（含抵押权注销）",
        issued_at=_START + timedelta(seconds=37 * i),
        people_ahead=i % 60,
        estimated_wait_min=(i % 60) * 3,
        priority=i % 7 == 0,
        priority_label="老年人" if i % 7 == 0 else None,
        materials=_MATERIALS,
        citizen_url=f"https://hall.example.cn/t/Qm9vX2Zvb19iYXJf{i:06d}",
    )


def _p50_ms(samples: list[float]) -> float:
    return round(statistics.median(samples) * 1000, 3)


def _time_renders(layout: PaperLayout, count: int, offset: int) -> list[float]:
    samples: list[float] = []
    for i in range(offset, offset + count):
        ticket = _ticket(i)
        t0 = time.perf_counter()
        render_ticket(ticket, layout)
        samples.append(time.perf_counter() - t0)
    return samples


def run(quick: bool, db: str) -> Figures:
    """``db`` is unused: nothing here touches a database."""
    renders = 300 if quick else 3000
    round_trips = 30 if quick else 300
    native = PaperLayout.mm80()
    image = PaperLayout.mm80(chinese_mode="image")

    render_ticket(_ticket(0), native)
    native_samples = _time_renders(native, renders, 1)

    raster.clear_caches()
    t0 = time.perf_counter()
    render_ticket(_ticket(0), image)
    cold = time.perf_counter() - t0
    image_samples = _time_renders(image, renders, 1)

    status_samples: list[float] = []
    print_samples: list[float] = []
    with TcpPrinterSimulator() as sim:
        config = PrinterConfig(transport=NetworkTransportConfig(host=sim.host, port=sim.port))
        with open_printer(config) as printer:
            for _ in range(round_trips):
                t0 = time.perf_counter()
                status = printer.status()
                status_samples.append(time.perf_counter() - t0)
                if status is not PrinterStatus.OK:
                    raise RuntimeError(f"simulated printer reported {status}")
            for i in range(round_trips):
                sim.core.clear()
                t0 = time.perf_counter()
                printer.print_ticket(_ticket(i))
                sim.core.wait_output(lambda data: data.endswith(CUT))
                print_samples.append(time.perf_counter() - t0)

    return {
        "render_ticket_ms": _p50_ms(native_samples),
        "render_ticket_ms_mean": round(statistics.fmean(native_samples) * 1000, 3),
        "render_ticket_bytes": len(render_ticket(_ticket(1), native)),
        "render_ticket_image_ms": _p50_ms(image_samples),
        "render_ticket_image_ms_mean": round(statistics.fmean(image_samples) * 1000, 3),
        "render_ticket_image_cold_ms": round(cold * 1000, 3),
        "render_ticket_image_bytes": len(render_ticket(_ticket(1), image)),
        "render_ticket_renders": renders,
        "printer_status_tcp_ms": _p50_ms(status_samples),
        "print_ticket_tcp_ms": _p50_ms(print_samples),
    }


if __name__ == "__main__":
    import json

    print(json.dumps(run(quick=True, db="sqlite"), indent=2))
