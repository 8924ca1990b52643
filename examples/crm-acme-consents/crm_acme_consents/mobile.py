"""Mobile numbers: the SMS consent rule and the "has a mobile number" segment filter use
the same prefixes (a per-tenant setting), compared without separators."""

from __future__ import annotations

from typing import Any

from sqlalchemy import false, func, or_

from crm_acme_consents.settings import setting

SEPARATORS = (" ", "-", "/")


def prefixes(ctx: Any) -> list[str]:
    """The tenant's mobile prefixes."""
    return [p.strip() for p in str(setting(ctx, "mobile_prefixes")).split(",") if p.strip()]


def compact(phone: str | None) -> str:
    """The number without separators."""
    text = phone or ""
    for separator in SEPARATORS:
        text = text.replace(separator, "")
    return text


def is_mobile(ctx: Any, phone: str | None) -> bool:
    """True when `phone` starts with one of the tenant's mobile prefixes."""
    number = compact(phone)
    return bool(number) and number.startswith(tuple(prefixes(ctx)))


def sms_rule(ctx: Any, contact: Any, purpose: Any) -> list[str]:
    """The reasons an SMS consent of `contact` cannot be recorded (for `crm_consent_rules`)."""
    if purpose.code != setting(ctx, "sms_purpose") or is_mobile(ctx, contact.phone):
        return []
    if not contact.phone:
        return ["SMS consent needs a mobile number and the contact has no phone number"]
    return [f"SMS consent needs a mobile number and {contact.phone} is not one"]


def mobile_filter(ctx: Any) -> dict[str, Any]:
    """The segment filter (for `crm_segment_filters`)."""
    wanted = prefixes(ctx)

    def where(contact_model: Any) -> Any:
        number = contact_model.phone
        for separator in SEPARATORS:
            number = func.replace(number, separator, "")
        return or_(false(), *(number.startswith(p, autoescape=True) for p in wanted))

    return {"key": "mobile", "label": "Has a mobile number", "where": where}

