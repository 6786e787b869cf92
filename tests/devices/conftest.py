"""Fixtures for device tests: print data factories and simulators on ptys and sockets."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from devices.printer import ChecklistItem, TicketPrint
from devices.serialport import SerialPortConfig
from devices.simulators import (
    KeypadSimulator,
    PtyPrinterSimulator,
    RatingPadSimulator,
    ScannerSimulator,
    SignSimulator,
    TcpPrinterSimulator,
)

# 2026-03-06 09:12 in Shanghai.
ISSUED_AT = datetime(2026, 3, 6, 1, 12, tzinfo=UTC)
CITIZEN_URL = "https://hall.example.cn/t/Qm9vX2Zvb19iYXJfYmF6"


_BASE_TICKET = TicketPrint(
    hall_name="固原市政务服务中心",
    number="A023",
    service_name="不动产登记",
    matter_name="存量房买卖转移登记（含抵押权注销）",
    issued_at=ISSUED_AT,
    people_ahead=7,
    estimated_wait_min=21,
    materials=(
        ChecklistItem("不动产登记申请书", checked=True),
        ChecklistItem("买卖双方身份证原件", checked=True),
        ChecklistItem("不动产权证书原件"),
        ChecklistItem("存量房买卖合同", note="网签备案"),
        ChecklistItem("完税凭证"),
        ChecklistItem("婚姻状况证明", required=False),
        ChecklistItem("抵押权注销证明", checked=True),
        ChecklistItem("委托书及受托人身份证", required=False),
    ),
    citizen_url=CITIZEN_URL,
)


def make_ticket(**overrides: Any) -> TicketPrint:
    """A realistic ticket: 80 mm worth of content, an 8-item checklist, a QR code."""
    return replace(_BASE_TICKET, **overrides)


@pytest.fixture
def ticket() -> TicketPrint:
    return make_ticket()


def fast_port(path: str) -> SerialPortConfig:
    """Reconnect quickly: tests unplug and replug within a second."""
    return SerialPortConfig(path=path, reconnect_initial_s=0.05, reconnect_max_s=0.2)


@pytest.fixture
def pty_printer(tmp_path: Path) -> Iterator[PtyPrinterSimulator]:
    with PtyPrinterSimulator(tmp_path) as sim:
        yield sim


@pytest.fixture
def tcp_printer() -> Iterator[TcpPrinterSimulator]:
    with TcpPrinterSimulator() as sim:
        yield sim


@pytest.fixture
def refused_port() -> int:
    """A loopback port nobody listens on."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture
def scanner_sim(tmp_path: Path) -> Iterator[ScannerSimulator]:
    with ScannerSimulator(tmp_path) as sim:
        yield sim


@pytest.fixture
def pad_sim(tmp_path: Path) -> Iterator[RatingPadSimulator]:
    with RatingPadSimulator(tmp_path) as sim:
        yield sim


@pytest.fixture
def sign_sim(tmp_path: Path) -> Iterator[SignSimulator]:
    with SignSimulator(tmp_path) as sim:
        yield sim


@pytest.fixture
def keypad_sim(tmp_path: Path) -> Iterator[KeypadSimulator]:
    with KeypadSimulator(tmp_path) as sim:
        yield sim
