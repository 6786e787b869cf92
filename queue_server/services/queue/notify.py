"""The notifier seam: how an appointment reminder reaches the citizen.

- :class:`LogNotifier` (the default, and what a hall without Internet uses): one log line per
  reminder with the phone masked (138****5678) and nothing else personal; the reminder's row in
  ``appointment_reminder`` (written by ``reminders.py`` whatever the notifier) is the record.
- :class:`HttpGateway`: an SMS gateway's HTTP endpoint, one JSON ``POST`` per reminder
  (``{"to", "text", "ref"}``); any 2xx is success.
- :class:`SmtpGateway`: an e-mail-to-SMS gateway: one message to ``<phone>@<domain>``.

``notifier_from_url`` picks one from the ``notifier_url`` setting. A failed send raises
:class:`NotifyError`; the reminder job records it and tries again on its next run.
"""

from __future__ import annotations

import json
import logging
import smtplib
import urllib.error
import urllib.request
from dataclasses import dataclass
from email.message import EmailMessage
from typing import Protocol
from urllib.parse import parse_qs, urlsplit

from queue_server.domain.masking import mask_phone

log = logging.getLogger(__name__)
TIMEOUT_S = 10.0


class NotifyError(Exception):
    """The gateway did not take the reminder (its reason, without personal data)."""


@dataclass(frozen=True, slots=True)
class Reminder:
    """One reminder to send. ``phone`` is for the gateway only: never log it (``phone_masked``)."""

    ref: str
    phone: str
    text: str

    @property
    def phone_masked(self) -> str:
        return mask_phone(self.phone)


class Notifier(Protocol):
    channel: str

    def send(self, reminder: Reminder) -> None:
        """Hand the reminder over; NotifyError when it was not taken."""


class LogNotifier:
    channel = "log"

    def send(self, reminder: Reminder) -> None:
        log.info("appointment reminder %s to %s", reminder.ref, reminder.phone_masked)


class HttpGateway:
    channel = "http"

    def __init__(self, url: str, timeout_s: float = TIMEOUT_S) -> None:
        if urlsplit(url).scheme not in ("http", "https"):
            raise ValueError("the HTTP gateway needs an http:// or https:// URL")
        self.url = url
        self.timeout_s = timeout_s

    def send(self, reminder: Reminder) -> None:
        body = json.dumps({"to": reminder.phone, "text": reminder.text, "ref": reminder.ref}).encode()
        headers = {"Content-Type": "application/json; charset=utf-8"}
        # The scheme was checked in __init__ (http or https only).
        request = urllib.request.Request(self.url, data=body, method="POST", headers=headers)  # noqa: S310
        try:
            with urllib.request.urlopen(request, timeout=self.timeout_s) as response:  # noqa: S310
                status = int(response.status)
        except urllib.error.HTTPError as exc:
            raise NotifyError(f"gateway answered {exc.code}") from None
        except (urllib.error.URLError, OSError) as exc:
            raise NotifyError(f"gateway unreachable: {type(exc).__name__}") from None
        if not 200 <= status < 300:
            raise NotifyError(f"gateway answered {status}")


class SmtpGateway:
    channel = "smtp"

    def __init__(self, host: str, port: int, sender: str, domain: str, timeout_s: float = TIMEOUT_S) -> None:
        self.host, self.port, self.sender, self.domain = host, port, sender, domain
        self.timeout_s = timeout_s

    def send(self, reminder: Reminder) -> None:
        message = EmailMessage()
        message["From"] = self.sender
        message["To"] = f"{reminder.phone}@{self.domain}"
        message["Subject"] = reminder.ref
        message.set_content(reminder.text)
        try:
            with smtplib.SMTP(self.host, self.port, timeout=self.timeout_s) as smtp:
                smtp.send_message(message)
        except (smtplib.SMTPException, OSError) as exc:
            raise NotifyError(f"mail gateway failed: {type(exc).__name__}") from None


def notifier_from_url(url: str | None) -> Notifier:
    """None → the log; ``http(s)://…`` → :class:`HttpGateway`;
    ``smtp://host[:port]?from=hall@example.org&domain=sms.example.org`` → :class:`SmtpGateway`."""
    if not url:
        return LogNotifier()
    parts = urlsplit(url)
    if parts.scheme in ("http", "https"):
        return HttpGateway(url)
    if parts.scheme == "smtp" and parts.hostname:
        query = parse_qs(parts.query)
        sender, domain = query.get("from", [""])[0], query.get("domain", [""])[0]
        if not sender or not domain:
            raise ValueError("an smtp notifier_url needs ?from=…&domain=…")
        return SmtpGateway(parts.hostname, parts.port or 25, sender, domain)
    raise ValueError(f"notifier_url must be http(s):// or smtp://, not {parts.scheme or 'empty'}")
