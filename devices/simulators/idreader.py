"""A SAM ID card reader on a pty: answers find, select and read base information for the card on it.

``place(card)`` lays a card on the reader, ``remove()`` takes it away. Faults for tests:
``corrupt(command, times)`` sends the next answers (to that command, or to any) with a wrong
checksum, ``silent = True`` answers nothing (a hung reader), ``fail_reads = n`` answers the next n
reads with 41 (read failed), and ``unplug()``/``plug()`` pull and replug the cable. ``commands``
lists every command received.
"""

from __future__ import annotations

from datetime import date

from devices.errors import FrameError
from devices.idreader.card import PHOTO_LENGTH, IdCard, base_info, encode_base_text
from devices.idreader.frame import Command, FrameReader, Request, Status, encode_reply, parse_request
from devices.scanner.resident_id import parse_resident_id
from devices.simulators.serial_devices import Directory, _Observed

# Find answers 4 bytes (zero on every reader seen), select 8: neither carries anything hallq uses.
_FOUND_DATA = bytes(4)
_SELECTED_DATA = bytes(8)


def sample_card(
    id_number: str = "110101196003070026",
    name: str = "张三丰",
    birth_date: date | None = None,
    address: str = "北京市东城区景山前街4号",
) -> IdCard:
    """A card for demos and tests (the default number is valid, born 1960-03-07)."""
    rid = parse_resident_id(id_number)
    return IdCard(
        name=name,
        sex="1" if rid.is_male else "2",
        nation="01",
        birth_date=birth_date or rid.birth_date,
        address=address,
        resident_id=rid,
        authority="北京市公安局东城分局",
        valid_from=date(2016, 5, 20),
        valid_until=None,
    )


def _photo() -> bytes:
    """1024 bytes standing in for the WLT photo (not an image; hallq never decodes it)."""
    return bytes((i * 37 + 11) % 256 for i in range(PHOTO_LENGTH))


class IdCardReaderSimulator(_Observed):
    """The reader's side of the SAM protocol, with the card that lies on it (or none)."""

    def __init__(self, directory: Directory = None, name: str = "id-reader") -> None:
        super().__init__(name, directory)
        self._frames = FrameReader()
        self.card: IdCard | None = None
        self.selected = False
        self._corrupt: list[Command | None] = []
        self._answered: Command | None = None  # the command of the answer being sent
        self.fail_reads = 0
        self.silent = False
        self.commands: list[Command | None] = []
        self.rejected = 0

    def on_plug(self) -> None:
        self._frames = FrameReader()
        self.selected = False

    def place(self, card: IdCard) -> None:
        with self._changed:
            self.card, self.selected = card, False

    def corrupt(self, command: Command | None = None, times: int = 1) -> None:
        """Send the next ``times`` answers to ``command`` (None: to any command) with a bad checksum."""
        with self._changed:
            self._corrupt += [command] * times

    def remove(self) -> None:
        with self._changed:
            self.card, self.selected = None, False

    def on_bytes(self, data: bytes) -> None:
        for item in self._frames.feed(data):
            answer = self._answer(item)
            if self.silent:
                continue
            if self._take_corruption(self._answered):
                answer = answer[:-1] + bytes([answer[-1] ^ 0xFF])
            self.send(answer)

    def _take_corruption(self, command: Command | None) -> bool:
        with self._changed:
            for i, wanted in enumerate(self._corrupt):
                if wanted is None or wanted is command:
                    del self._corrupt[i]
                    return True
            return False

    def _answer(self, item: bytes | FrameError) -> bytes:
        with self._changed:
            try:
                self._answered = None
                if isinstance(item, FrameError):
                    self.rejected += 1
                    return encode_reply(Status.BAD_CHECKSUM)
                try:
                    request = parse_request(item)
                except FrameError:
                    self.rejected += 1
                    return encode_reply(Status.BAD_LENGTH)
                self.commands.append(request.command)
                self._answered = request.command
                return self._execute(request)
            finally:
                self._changed.notify_all()

    def _execute(self, request: Request) -> bytes:
        command, card = request.command, self.card
        if command is Command.FIND_CARD:
            self.selected = False
            return encode_reply(Status.CARD_FOUND, _FOUND_DATA) if card else encode_reply(Status.NO_CARD)
        if command is Command.SELECT_CARD:
            self.selected = card is not None
            return encode_reply(Status.OK, _SELECTED_DATA) if card else encode_reply(Status.SELECT_FAILED)
        if command is Command.READ_BASE:
            if card is None or not self.selected:
                return encode_reply(Status.READ_FAILED)
            if self.fail_reads > 0:
                self.fail_reads -= 1
                return encode_reply(Status.READ_FAILED)
            return encode_reply(Status.OK, base_info(encode_base_text(card), _photo()))
        if command in (Command.RESET, Command.STATUS):
            return encode_reply(Status.OK)
        return encode_reply(Status.BAD_COMMAND)
