"""Signed links of the web form (itsdangerous, keyed with the app's secret).

Two kinds, each with its own salt so one can never stand for the other:

- confirm: carries a submission id (`s`) and the tenant; valid
  `CRM_WEBFORM_CONFIRM_MAX_AGE` seconds (default 48 hours);
- manage: carries a contact id (`c`, in receipts) or a submission id (`s`, in the
  confirmation mail, before the contact exists) and the tenant; opens the page where the
  person sees and withdraws their consents; valid `CRM_WEBFORM_MANAGE_MAX_AGE` seconds
  (default 3 years: it travels in mails and receipts that people keep).

No address travels in a link: only ids, signed.

The age is measured on the core's clock (`core.clock.utcnow`), so tests move time the
same way for every part of the app.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from flask import current_app
from itsdangerous import BadData, SignatureExpired, TimestampSigner, URLSafeTimedSerializer

from core import clock

CONFIRM = "gdpr_consents.webform.confirm"
MANAGE = "gdpr_consents.webform.manage"
DEFAULT_MAX_AGE = {CONFIRM: 48 * 3600, MANAGE: 3 * 365 * 24 * 3600}
CONFIG_KEY = {CONFIRM: "WEBFORM_CONFIRM_MAX_AGE", MANAGE: "WEBFORM_MANAGE_MAX_AGE"}


class LinkExpired(ValueError):
    """A correctly signed link whose time is up."""


class LinkInvalid(ValueError):
    """A link that was not made here (tampered, cut short, another kind or tenant)."""


class ClockSigner(TimestampSigner):
    """A timestamp signer that reads the core's clock, or signs as of `now` when given
    (the instant of the event the link belongs to)."""

    def __init__(self, *args: Any, now: datetime | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.now = now

    def get_timestamp(self) -> int:
        """Now (or the given instant), in whole seconds since the epoch."""
        return int((self.now or clock.utcnow()).timestamp())


def _serializer(kind: str, now: datetime | None = None) -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt=kind,
                                  signer=ClockSigner, signer_kwargs={"now": now})


def max_age(kind: str) -> int:
    """How long a link of `kind` stays valid, in seconds (from the config)."""
    return int(current_app.config.get(CONFIG_KEY[kind]) or DEFAULT_MAX_AGE[kind])


def make_token(kind: str, tenant_id: int, at: datetime, **ids: int) -> str:
    """A token of `kind` for tenant `tenant_id` carrying `ids` (`s=` submission id, `c=`
    contact id), signed as made at `at`."""
    return _serializer(kind, at).dumps({"t": tenant_id, **ids})


def read_token(kind: str, token: str, tenant_id: int) -> dict[str, int]:
    """Return the ids a token of `kind` carries for tenant `tenant_id`. Raises LinkExpired
    for a good token past its age and LinkInvalid for anything else."""
    try:
        data: Any = _serializer(kind).loads(token, max_age=max_age(kind))
    except SignatureExpired:
        raise LinkExpired("the link has expired") from None
    except BadData:
        raise LinkInvalid("the link is not valid") from None
    if not isinstance(data, dict) or data.pop("t", None) != tenant_id or not data or any(
            k not in ("s", "c") or not isinstance(v, int) for k, v in data.items()):
        raise LinkInvalid("the link is not valid")
    return data
