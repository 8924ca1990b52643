"""Outgoing mail: SMTP in production, files in the instance folder in development.

`CRM_MAIL_URL` chooses the transport:
`smtp://user:password@host:587?starttls=1&from=crm@firma.si`, `smtps://...:465`, or
`file:///path/to/folder`. Unset, messages are written as `.eml` files to
`<instance>/mail/` (development and tests read the links from there).
"""

from __future__ import annotations

import contextlib
import os
import smtplib
import ssl
from email.message import EmailMessage
from email.utils import formatdate, make_msgid
from pathlib import Path
from urllib.parse import parse_qs, unquote, urlsplit

from flask import current_app

from core.clock import utcnow
from core.text import sanitize_text

DEFAULT_SENDER = "crm@localhost"


class MailError(RuntimeError):
    """A message that could not be handed over; the message says why."""


def build_message(to: str, subject: str, text: str, html: str | None, sender: str) -> EmailMessage:
    """Return a MIME message (plain text, with an HTML alternative when given)."""
    message = EmailMessage()
    message["From"] = sender
    message["To"] = to
    message["Subject"] = sanitize_text(subject).replace("\n", " ").replace("\r", " ")
    message["Date"] = formatdate(localtime=False)
    message["Message-ID"] = make_msgid(domain=sender.rpartition("@")[2] or "localhost")
    message.set_content(sanitize_text(text))
    if html:
        message.add_alternative(sanitize_text(html), subtype="html")
    return message


def send_mail(to: str, subject: str, text: str, html: str | None = None) -> str:
    """Send one message through the configured transport; return its Message-ID.

    Raises MailError when the transport refuses it.
    """
    url = current_app.config.get("MAIL_URL") or ""
    parts = urlsplit(url)
    options = {k: v[-1] for k, v in parse_qs(parts.query).items()}
    sender = options.get("from") or current_app.config.get("MAIL_FROM") or DEFAULT_SENDER
    message = build_message(to, subject, text, html, sender)
    if parts.scheme in ("", "file"):
        folder = Path(unquote(parts.path)) if parts.scheme == "file" else (
            Path(current_app.instance_path) / "mail"
        )
        _write_file(folder, message)
    elif parts.scheme in ("smtp", "smtps"):
        _send_smtp(parts, options, message)
    else:
        raise MailError(f"CRM_MAIL_URL has an unknown scheme '{parts.scheme}' (use smtp, smtps "
                        f"or file)")
    return message["Message-ID"]


def _write_file(folder: Path, message: EmailMessage) -> Path:
    """Write `message` as a new `.eml` file readable by the owner only (mode 600: messages
    hold personal data), whole or not at all (written aside, then renamed into place)."""
    name = f"{utcnow():%Y%m%dT%H%M%S%f}-{os.getpid()}.eml"
    path = folder / name
    partial = folder / f".{name}.part"
    try:
        folder.mkdir(parents=True, exist_ok=True, mode=0o700)
        handle = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(handle, "wb") as stream:
            stream.write(bytes(message))
        os.replace(partial, path)
    except OSError as exc:
        with contextlib.suppress(OSError):  # the folder itself may be what failed
            partial.unlink(missing_ok=True)
        raise MailError(f"The message could not be written to {folder} "
                        f"({exc.strerror or exc}).") from exc
    return path


def _send_smtp(parts, options: dict[str, str], message: EmailMessage) -> None:
    host = parts.hostname or "localhost"
    port = parts.port or (465 if parts.scheme == "smtps" else 25)
    try:
        if parts.scheme == "smtps":
            client = smtplib.SMTP_SSL(host, port, context=ssl.create_default_context(),
                                      timeout=30)
        else:
            client = smtplib.SMTP(host, port, timeout=30)
        with client:
            if parts.scheme == "smtp" and options.get("starttls") in {"1", "true", "yes"}:
                client.starttls(context=ssl.create_default_context())
            if parts.username:
                client.login(unquote(parts.username), unquote(parts.password or ""))
            client.send_message(message)
    except (OSError, smtplib.SMTPException) as exc:
        raise MailError(f"the mail server {host}:{port} did not take the message "
                        f"({type(exc).__name__})") from exc
