"""ESC/POS commands as named byte constants and tiny pure builders (Epson ESC/POS reference names).

Only what hallq prints is here. Tests and simulators spell expected byte sequences with these names.
"""

from __future__ import annotations

from enum import IntEnum

ESC = b"\x1b"
GS = b"\x1d"
FS = b"\x1c"
DLE = b"\x10"
EOT = b"\x04"
LF = b"\n"

# ESC @ — initialize printer: clears the buffer and every mode set by a previous job.
ESC_INIT = ESC + b"@"
# FS & / FS . — Chinese (Kanji) character mode on / off: bytes >= 0x80 are read as GB18030 pairs.
FS_CHINESE_ON = FS + b"&"
FS_CHINESE_OFF = FS + b"."
# ESC a n — justification.
ESC_ALIGN = ESC + b"a"
# ESC E n — emphasized (bold) on/off.
ESC_BOLD = ESC + b"E"
# GS ! n — character size: high nibble width-1, low nibble height-1; applies to Chinese characters too.
GS_SIZE = GS + b"!"
# ESC d n — print and feed n lines.
ESC_FEED_LINES = ESC + b"d"
# GS V m [n] — cut. m=66 (function B): feed to the cutting position + n units, then partial cut.
GS_CUT = GS + b"V"
CUT_FULL = 0x41
CUT_PARTIAL = 0x42
# GS v 0 m xL xH yL yH d… — print raster bit image (1 = black dot), rows of xL+256*xH bytes.
GS_RASTER = GS + b"v0"
# GS ( k pL pH cn fn … — 2D symbol; cn=49 (0x31) is QR Code.
GS_2D = GS + b"(k"
QR_CN = 0x31
QR_FN_MODEL = 0x41
QR_FN_MODULE_SIZE = 0x43
QR_FN_ERROR_CORRECTION = 0x45
QR_FN_STORE = 0x50
QR_FN_PRINT = 0x51
QR_MODEL_2 = 0x32
# DLE EOT n — real-time status transmission; the printer answers one byte even while offline.
DLE_EOT = DLE + EOT
STATUS_PRINTER = 1
STATUS_OFFLINE_CAUSE = 2
STATUS_ERROR_CAUSE = 3
STATUS_PAPER = 4

# A printer that never heard of native QR stores this many bytes at most (QR version 40, byte mode).
QR_MAX_BYTES = 2953


class Align(IntEnum):
    LEFT = 0
    CENTER = 1
    RIGHT = 2


class QrErrorCorrection(IntEnum):
    L = 48
    M = 49
    Q = 50
    H = 51


def align(value: Align) -> bytes:
    return ESC_ALIGN + bytes([value])


def bold(on: bool) -> bytes:
    return ESC_BOLD + bytes([1 if on else 0])


def size(width: int, height: int) -> bytes:
    """GS ! for a magnification of 1–8 in each direction."""
    if not (1 <= width <= 8 and 1 <= height <= 8):
        raise ValueError("character magnification is 1..8")
    return GS_SIZE + bytes([(width - 1) << 4 | (height - 1)])


def feed_lines(n: int) -> bytes:
    if not 0 <= n <= 255:
        raise ValueError("feed is 0..255 lines")
    return ESC_FEED_LINES + bytes([n])


def cut(partial: bool = True, feed: int = 0) -> bytes:
    """GS V function B: feed to the cutter (plus ``feed`` units) and cut."""
    return GS_CUT + bytes([CUT_PARTIAL if partial else CUT_FULL, feed])


def raster(width_bytes: int, height: int, data: bytes) -> bytes:
    """GS v 0 normal density; ``data`` is ``height`` rows of ``width_bytes`` packed bits, MSB first."""
    if len(data) != width_bytes * height:
        raise ValueError("raster data does not match its size")
    return GS_RASTER + bytes([0, width_bytes & 0xFF, width_bytes >> 8, height & 0xFF, height >> 8]) + data


def _qr_function(fn: int, params: bytes) -> bytes:
    n = len(params) + 2
    return GS_2D + bytes([n & 0xFF, n >> 8, QR_CN, fn]) + params


def qr(
    payload: bytes, module_size: int = 6, error_correction: QrErrorCorrection = QrErrorCorrection.M
) -> bytes:
    """The five GS ( k functions that select model 2, size, error correction, store and print a QR code."""
    if not 1 <= module_size <= 16:
        raise ValueError("QR module size is 1..16 dots")
    if not 0 < len(payload) <= QR_MAX_BYTES:
        raise ValueError("QR payload must be 1..2953 bytes")
    return (
        _qr_function(QR_FN_MODEL, bytes([QR_MODEL_2, 0]))
        + _qr_function(QR_FN_MODULE_SIZE, bytes([module_size]))
        + _qr_function(QR_FN_ERROR_CORRECTION, bytes([error_correction]))
        + _qr_function(QR_FN_STORE, b"0" + payload)
        + _qr_function(QR_FN_PRINT, b"0")
    )


def status_query(n: int) -> bytes:
    return DLE_EOT + bytes([n])


# Ask the three statuses hallq maps in one write; the printer answers three bytes in this order.
STATUS_QUERY = status_query(STATUS_PRINTER) + status_query(STATUS_OFFLINE_CAUSE) + status_query(STATUS_PAPER)
