"""Window documents (受理凭证, 一次性告知书, 不予受理通知书) as values and as A4 pages; pure."""

from queue_server.documents.a4 import render_a4
from queue_server.documents.content import (
    AnyContent,
    DocumentContent,
    MissingItem,
    NoticeContent,
    ReceiptContent,
    RejectionContent,
    WrongPageItem,
    load_content,
)

__all__ = [
    "AnyContent",
    "DocumentContent",
    "MissingItem",
    "NoticeContent",
    "ReceiptContent",
    "RejectionContent",
    "WrongPageItem",
    "load_content",
    "render_a4",
]
