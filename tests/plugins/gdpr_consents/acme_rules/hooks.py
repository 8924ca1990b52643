"""Hooks of the test integrator plugin."""

from __future__ import annotations

from datetime import datetime

from flask import current_app

from core.hookspecs import hookimpl


@hookimpl
def crm_consent_sources():
    return [{"code": "call_centre", "label": "Call centre", "required": ["source_detail"]}]


@hookimpl
def crm_consent_fields(ctx):
    return [{"name": "agent_id", "label": "Agent id", "sources": ["call_centre"],
             "required": False,
             "check": lambda value: None if value.isdigit() else "use the agent's number."}]


@hookimpl
def crm_webhook_providers(ctx):
    def read(body):
        if body == b"bad":
            raise ValueError("the delivery says bad")
        return [{"kind": "subscribe", "email": "naive@firma.si",
                 "at": datetime(2025, 1, 1, 10, 0)}]  # no zone: refused by the reader's caller

    return [{"code": "naive", "label": "Naive times", "read": read}]


@hookimpl
def crm_consent_rules(ctx, contact, purpose, source):
    if purpose.code == "sms" and not (contact.phone or "").strip():
        return ["the contact has no phone number"]
    return []


@hookimpl
def crm_segment_filters(ctx):
    return [{"key": "has_phone", "label": "Has a phone number",
             "where": lambda contact: contact.phone.is_not(None)}]


@hookimpl
def crm_consent_changed(ctx, consent, event):
    current_app.extensions.setdefault("acme_changes", []).append(
        (event.kind.value, consent.purpose_id, event.state_after))


@hookimpl
def crm_records_exported(ctx, what, file_format, subject, rows, details):
    current_app.extensions.setdefault("acme_exports", []).append(
        (what, file_format, rows, details))
