"""The plugin's per-tenant settings and how its code reads them."""

from __future__ import annotations

from typing import Any

from core.settings import Setting, get_setting

PLUGIN = "acme_consents"

SETTINGS = [
    Setting("receipt_pattern", "str", r"AC-\d{6}", "Receipt number pattern", kind="regex",
            help=r"A regular expression the whole number must match, e.g. AC-\d{6}."),
    Setting("sms_purpose", "str", "sms", "Purpose code of SMS consents", kind="purpose_code"),
    Setting("mobile_prefixes", "str", "+38630,+38631,+38640,+38641,+38651,+38664,+38665,"
            "+38668,+38669,+38670,+38671,030,031,040,041,051,064,065,068,069,070,071",
            "Mobile number prefixes", help="Comma-separated, compared without spaces."),
]


def setting(ctx: Any, key: str) -> Any:
    """The tenant's value of one of this plugin's settings (or its default)."""
    return get_setting(ctx.tenant_id, PLUGIN, key)
