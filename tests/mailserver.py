"""A real SMTP server on the loopback (aiosmtpd) for the tests of mail: what it received."""

from __future__ import annotations

import email
from collections.abc import Iterator
from dataclasses import dataclass
from email.message import Message
from pathlib import Path
from typing import Any

import pytest
from aiosmtpd.controller import Controller as SmtpController
from aiosmtpd.smtp import Envelope, Session

from api.settings import ReportSettings, Settings, SmtpSettings
from tests.helpers import free_port


class Inbox:
    """Messages the test SMTP server received, with the envelope's recipients."""

    def __init__(self) -> None:
        self.messages: list[Message] = []
        self.recipients: list[list[str]] = []

    async def handle_DATA(self, server: Any, session: Session, envelope: Envelope) -> str:
        self.messages.append(email.message_from_bytes(envelope.content or b""))
        self.recipients.append(list(envelope.rcpt_tos))
        return "250 OK"


@dataclass
class Smtp:
    port: int
    inbox: Inbox


@pytest.fixture(scope="module")
def smtp() -> Iterator[Smtp]:
    """The server, one per test module; tests count the messages that arrived after theirs."""
    inbox = Inbox()
    port = free_port()
    controller = SmtpController(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield Smtp(port=port, inbox=inbox)
    finally:
        controller.stop()


def mail_settings(data_dir: Path, db_url: str, smtp: Smtp, **mail: str) -> Settings:
    """Test settings whose mail goes to ``smtp`` (plain SMTP on the loopback), with a public
    URL for the links mails carry; ``mail``: other SmtpSettings fields (sender, escalate_to)."""
    return Settings(
        data_dir=data_dir,
        database_url=db_url,
        secret_key="test-secret-key-that-is-long-enough-for-hs256",
        report=ReportSettings(public_url="https://service.example.com"),
        smtp=SmtpSettings(host="127.0.0.1", port=smtp.port, security="none", **mail),
    )
