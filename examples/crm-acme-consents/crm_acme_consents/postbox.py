"""Postbox, Acme's mailing system: its webhook posts JSON like

    {"events": [{"id": "evt_1", "type": "opt_out", "address": "ana@example.com",
                 "list": "weekly", "occurred": "2026-05-04T09:30:00+02:00"}]}

with `type` one of opt_in, opt_out, complaint, hard_bounce (others carry no consent
meaning). Read into the consents plugin's canonical events (`crm_webhook_providers`)."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

CODE = "postbox"
KINDS = {"opt_in": "subscribe", "opt_out": "unsubscribe", "complaint": "spam",
         "hard_bounce": "bounce"}


def postbox_provider() -> dict[str, Any]:
    """The mailing system (for `crm_webhook_providers`)."""
    return {"code": CODE, "label": "Postbox", "read": read_postbox}


def postbox_source() -> dict[str, Any]:
    """The consent source of what Postbox grants (for `crm_consent_sources`)."""
    return {"code": CODE, "label": "Postbox", "required": []}


def read_postbox(body: bytes) -> list[dict[str, Any]]:
    """The canonical events of one delivery; ValueError says what cannot be read."""
    try:
        data = json.loads(body.decode("utf-8"))
    except (UnicodeDecodeError, ValueError):
        raise ValueError("the body is not JSON") from None
    items = data.get("events") if isinstance(data, dict) else None
    if not isinstance(items, list):
        raise ValueError("a Postbox delivery needs an 'events' list")
    return [_event(number, item) for number, item in enumerate(items, start=1)]


def _event(number: int, item: Any) -> dict[str, Any]:
    if not isinstance(item, dict) or not item.get("type"):
        raise ValueError(f"event {number} has no 'type'")
    try:
        at = datetime.fromisoformat(str(item.get("occurred", "")))
    except ValueError:
        raise ValueError(f"event {number}: 'occurred' is not an ISO 8601 time") from None
    if at.utcoffset() is None:
        raise ValueError(f"event {number}: 'occurred' has no UTC offset")
    return {"kind": KINDS.get(str(item["type"]), "other"), "email": item.get("address"),
            "at": at, "list_ids": [str(item["list"])] if item.get("list") else [],
            "raw": item, "key": str(item.get("id", ""))}
