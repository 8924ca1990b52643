"""Showing entries: one-line summaries, JSON-ready dictionaries and spreadsheet rows.

Everything here takes an entry or a row with the entry's columns as attributes, and a time
zone (the tenant's) in which times are shown.
"""

from __future__ import annotations

import json
from typing import Any

from core.clock import to_local

EXPORT_HEADER = [
    "Seq", "Time", "Actor", "Action", "Target type", "Target id", "Label", "Contact id",
    "Details", "IP address", "User agent", "Request id", "Redacted",
]

_VERBS = {
    "login": "logged in", "login_failed": "failed to log in", "logout": "logged out",
    "list_viewed": "viewed the list", "viewed": "viewed", "created": "created",
    "updated": "changed", "deleted": "deleted", "restored": "restored", "purged": "purged",
    "imported": "imported", "exported": "exported", "plugin_enabled": "enabled the plugin",
    "plugin_disabled": "disabled the plugin", "redacted": "erased details of",
    "log_purged": "purged old audit entries",
}


def parsed(text: str | None) -> Any:
    """The JSON stored in `info` or `details`, as data (None when empty)."""
    return json.loads(text) if text else None


def target_text(entry: Any) -> str:
    """The target as people read it: `contact #12 “Ana Novak”`, or the label alone."""
    parts = []
    if entry.target_type:
        parts.append(entry.target_type + (f" #{entry.target_id}" if entry.target_id else ""))
    if entry.label:
        parts.append(f"“{entry.label}”")
    return " ".join(parts)


def summary(entry: Any) -> str:
    """One line saying what happened (without who and when)."""
    info = parsed(entry.info) or {}
    verb = _VERBS.get(entry.action, entry.action)
    text = f"{verb} {target_text(entry)}".strip()
    if entry.action == "updated" and info.get("fields"):
        text += ": " + ", ".join(info["fields"])
    elif entry.action == "list_viewed":
        text += f" (page {int(info.get('page', 0)) + 1}, {info.get('rows', 0)} rows)"
    elif entry.action in ("imported", "exported"):
        facts = {k: v for k, v in info.items() if k not in ("what",)}
        text = f"{verb} {info.get('what', '')} {target_text(entry)}".strip()
        text += " (" + ", ".join(f"{k.replace('_', ' ')} {v}" for k, v in facts.items()) + ")"
    elif entry.action == "login_failed" and info.get("reason"):
        text += f" ({info['reason'].replace('_', ' ')})"
    elif entry.action in ("plugin_enabled", "plugin_disabled"):
        text = f"{verb} {info.get('plugin', '')}".strip()
    elif entry.action == "redacted":
        text += f" {info.get('count', 0)} entries ({info.get('reason', '')})"
    elif entry.action == "log_purged":
        text += f" through seq {info.get('through_seq')} ({info.get('count', 0)} entries)"
    if entry.redaction:
        text += " [details erased]"
    return text


def as_dict(entry: Any, time_zone: str | None) -> dict[str, Any]:
    """The entry as JSON-ready data; times in ISO 8601 with the zone's offset."""
    return {
        "seq": entry.seq,
        "id": entry.id,
        "at": to_local(entry.at, time_zone).isoformat(),
        "actor": entry.actor,
        "user_id": entry.user_id,
        "action": entry.action,
        "target_type": entry.target_type,
        "target_id": entry.target_id,
        "contact_id": entry.contact_id,
        "label": entry.label,
        "info": parsed(entry.info),
        "details": parsed(entry.details),
        "ip": entry.ip,
        "user_agent": entry.user_agent,
        "request_id": entry.request_id,
        "redacted": entry.redaction is not None,
        "summary": summary(entry),
    }


def export_row(entry: Any) -> list[Any]:
    """The entry as a spreadsheet row (see EXPORT_HEADER); times stay aware for the writer."""
    details = {**(parsed(entry.info) or {}), **(parsed(entry.details) or {})}
    return [
        entry.seq, entry.at, entry.actor, entry.action, entry.target_type, entry.target_id,
        entry.label, entry.contact_id,
        json.dumps(details, ensure_ascii=False, sort_keys=True) if details else None,
        entry.ip, entry.user_agent, entry.request_id, entry.redaction is not None,
    ]
