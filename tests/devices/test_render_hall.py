"""The hall on the ticket (hall file ``[hall]``): its name or short name as the heading, its address and
telephone as the footer; decoded from the real ESC/POS byte stream."""

from __future__ import annotations

from devices.printer import PaperLayout, render_ticket
from tests.devices.conftest import make_ticket
from tests.devices.escpos_decoder import Text, events_of, texts

NAME = "示范市政务服务中心"  # 9 characters: double size fits 80 mm (24 columns) but not 58 mm (16)
SHORT = "示范市民大厅"


def _heading(data: bytes) -> Text:
    return events_of(data, Text)[0]


def test_the_full_name_heads_a_ticket_when_it_fits_at_double_size() -> None:
    ticket = make_ticket(hall_name=NAME, hall_short_name=SHORT)
    heading = _heading(render_ticket(ticket, PaperLayout.mm80()))
    assert (heading.text, heading.scale) == (NAME, (2, 2))


def test_the_short_name_heads_a_narrow_ticket() -> None:
    ticket = make_ticket(hall_name=NAME, hall_short_name=SHORT)
    heading = _heading(render_ticket(ticket, PaperLayout.mm58()))
    assert (heading.text, heading.scale) == (SHORT, (2, 2))
    assert NAME not in texts(render_ticket(ticket, PaperLayout.mm58()))


def test_without_a_short_name_the_full_name_is_printed_at_normal_size() -> None:
    heading = _heading(render_ticket(make_ticket(hall_name=NAME), PaperLayout.mm58()))
    assert (heading.text, heading.scale, heading.bold) == (NAME, (1, 1), True)


def test_the_footer_gives_the_address_and_the_phone() -> None:
    ticket = make_ticket(hall_address="示范市新城区政务大道1号", hall_phone="0954-12345")
    lines = texts(render_ticket(ticket, PaperLayout.mm80()))
    assert lines[-2:] == ["地址：示范市新城区政务大道1号", "电话：0954-12345"]


def test_no_footer_when_the_hall_file_gives_neither() -> None:
    lines = texts(render_ticket(make_ticket(), PaperLayout.mm80()))
    assert not any(line.startswith(("地址：", "电话：")) for line in lines)
