"""The resident ID card reader (身份证阅读器): SAM frames, the card's base text, a polling driver."""

from devices.errors import IdCardReadError, IdReaderError, IdReaderTimeoutError
from devices.idreader.card import (
    NO_EXPIRY,
    PHOTO_LENGTH,
    TEXT_LENGTH,
    IdCard,
    base_info,
    base_text,
    decode_base_text,
    encode_base_text,
)
from devices.idreader.frame import (
    PREAMBLE,
    Command,
    FrameReader,
    Reply,
    Request,
    Status,
    checksum,
    encode_command,
    encode_reply,
    parse_reply,
    parse_request,
)
from devices.idreader.reader import DEFAULT_BAUDRATE, IdCardReader, IdReaderConfig, id_reader_port

__all__ = [
    "DEFAULT_BAUDRATE",
    "NO_EXPIRY",
    "PHOTO_LENGTH",
    "PREAMBLE",
    "TEXT_LENGTH",
    "Command",
    "FrameReader",
    "IdCard",
    "IdCardReadError",
    "IdCardReader",
    "IdReaderConfig",
    "IdReaderError",
    "IdReaderTimeoutError",
    "Reply",
    "Request",
    "Status",
    "base_info",
    "base_text",
    "checksum",
    "decode_base_text",
    "encode_base_text",
    "encode_command",
    "encode_reply",
    "id_reader_port",
    "parse_reply",
    "parse_request",
]
