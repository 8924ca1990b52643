"""Outgoing mail: files in development, real SMTP when CRM_MAIL_URL says so."""

from __future__ import annotations

import email
import socket

import pytest
from aiosmtpd.controller import Controller

from core import create_app
from core.mail import MailError, send_mail


def _app(tmp_path, **config):
    return create_app({"TESTING": True, "INSTANCE_DIR": str(tmp_path), "PLUGINS": [], **config})


def test_development_writes_messages_to_the_instance_folder(tmp_path):
    app = _app(tmp_path)
    with app.app_context():
        send_mail("ana@firma.si", "Potrdite prijavo", "Kliknite: https://x/confirm/abc",
                  html="<a href='https://x/confirm/abc'>Potrdi</a>")
    (written,) = (tmp_path / "mail").glob("*.eml")
    message = email.message_from_bytes(written.read_bytes(), policy=email.policy.default)
    assert message["To"] == "ana@firma.si"
    assert message["Subject"] == "Potrdite prijavo"
    assert "https://x/confirm/abc" in message.get_body(("plain",)).get_content()
    assert written.stat().st_mode & 0o777 == 0o600  # personal data: the owner only
    assert [p.name for p in (tmp_path / "mail").iterdir()] == [written.name]


def test_a_mail_folder_that_cannot_be_written_is_a_clear_error(tmp_path):
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("")
    app = _app(tmp_path, MAIL_URL=f"file://{blocker}/outbox")
    with app.app_context(), pytest.raises(MailError, match=(
            f"^The message could not be written to {blocker}/outbox "
            r"\(Not a directory\)\.$")):
        send_mail("ana@firma.si", "Zadeva", "Besedilo")


class _Inbox:
    def __init__(self):
        self.messages = []

    async def handle_DATA(self, server, session, envelope):
        self.messages.append(envelope)
        return "250 OK"


def _free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_smtp_hands_the_message_to_a_real_server(tmp_path):
    inbox = _Inbox()
    port = _free_port()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        app = _app(tmp_path, MAIL_URL=f"smtp://127.0.0.1:{port}?from=crm@firma.si")
        with app.app_context():
            send_mail("luka@firma.si", "Zdravo", "Besedilo s šumniki: čšž")
    finally:
        controller.stop()
    (envelope,) = inbox.messages
    assert envelope.mail_from == "crm@firma.si"
    assert envelope.rcpt_tos == ["luka@firma.si"]
    body = email.message_from_bytes(envelope.content, policy=email.policy.default)
    assert "čšž" in body.get_content()


def test_an_unreachable_server_is_a_clear_error(tmp_path):
    app = _app(tmp_path, MAIL_URL=f"smtp://127.0.0.1:{_free_port()}")
    with app.app_context(), pytest.raises(MailError, match="did not take the message"):
        send_mail("a@b.si", "x", "y")


def test_an_unknown_scheme_is_refused(tmp_path):
    app = _app(tmp_path, MAIL_URL="carrier-pigeon://loft")
    with app.app_context(), pytest.raises(MailError, match="unknown scheme 'carrier-pigeon'"):
        send_mail("a@b.si", "x", "y")
