"""Mailing-system webhooks at `/hooks/<tenant>/<provider>/<secret>`: Mailchimp, Brevo and
Mailjet built in, more from plugins through `crm_webhook_providers` (the built-in ones are
offered through the same hook).

Each delivery is read into canonical events (kind, address, list id, instant). An event is
applied once: its digest (SHA-256 of the canonical event; Mailchimp sends no event id) is
stored with the raw payload and the outcome, so a replay changes nothing. The rules:
unsubscribe and spam withdraw only the mapped purpose; cleaned and hard bounces mark the
address undeliverable; upemail moves the contact to its new address (consents stay) unless
another contact has it; subscribe grants only where no later withdrawal or refusal is
recorded (of two events at the same instant the withdrawal wins); profile never grants; an
address the erasure ledger suppresses is ignored and logged. A wrong secret answers 404, a
body that cannot be read 400, a body over the limit 413 before it is read.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import re
import secrets
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any
from urllib.parse import parse_qsl

from flask import Blueprint, Response, abort, current_app, jsonify, request
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from core.boot import request_tenant
from core.db import db
from core.emails import InvalidEmail, normalize_email
from core.errors import too_large
from core.events import EventContext, context, emit, set_actor
from core.models import Contact
from core.scoping import tenant_scope
from plugins.gdpr_consents import consents as consent_logic
from plugins.gdpr_consents import deliverability
from plugins.gdpr_consents.contributions import contributed
from plugins.gdpr_consents.errors import ConsentInputError
from plugins.gdpr_consents.intake.importer import find_purpose, mapped_purpose
from plugins.gdpr_consents.intake.public_url import absolute_url
from plugins.gdpr_consents.models import ConsentState, ListMapping, WebhookEndpoint, WebhookEvent
from plugins.gdpr_consents.validity import current_state

PROVIDER_CODE_RE = re.compile(r"^[a-z0-9_]{1,32}$")
KINDS = ("subscribe", "unsubscribe", "spam", "cleaned", "bounce", "upemail", "profile",
         "other", "campaign")
MAX_BODY = 1024 * 1024
"""Default largest body accepted (`CRM_WEBHOOK_MAX_BYTES`)."""

blueprint = Blueprint("gdpr_consents_hooks", __name__)
blueprint.crm_csrf_exempt = True  # mailing systems post without a CSRF token


class Unreadable(ValueError):
    """A body that cannot be read as the provider's format."""


@dataclass
class Event:
    """One canonical event of a mailing system."""

    kind: str  # subscribe, unsubscribe, spam, cleaned, bounce, upemail, profile, other
    email: str | None
    at: datetime
    list_ids: list[str] = field(default_factory=list)
    new_email: str | None = None
    ip: str | None = None
    detail: str | None = None
    raw: dict[str, Any] = field(default_factory=dict)
    key: str = ""

    def digest(self, provider: str) -> str:
        """SHA-256 of the canonical event (what makes two deliveries the same event)."""
        canonical = {"provider": provider, "kind": self.kind, "email": self.email,
                     "at": self.at.isoformat(), "lists": self.list_ids,
                     "new_email": self.new_email, "key": self.key}
        text = json.dumps(canonical, sort_keys=True, separators=(",", ":"))
        return hashlib.sha256(text.encode()).hexdigest()


# --- providers ----------------------------------------------------------------------------


def providers(ctx: EventContext) -> dict[str, dict[str, Any]]:
    """Return the mailing systems of the tenant ({code: {code, label, read}}): the built-in
    ones and those other plugins add through `crm_webhook_providers`."""
    found: dict[str, dict[str, Any]] = {}
    for code, provider in contributed(ctx, "crm_webhook_providers", "code", PROVIDER_CODE_RE,
                                      "webhook provider"):
        if not callable(provider.get("read")):
            raise ValueError(f"webhook provider '{code}' has no read function")
        found[code] = {"code": code, "label": str(provider.get("label") or code),
                       "read": provider["read"]}
    return found


def _event(item: Event | dict[str, Any]) -> Event:
    """A canonical event from what a provider's reader returned (an Event or a dict)."""
    if isinstance(item, Event):
        return item
    if not isinstance(item, dict):
        raise Unreadable("an event is not a mapping")
    at = item.get("at")
    if not isinstance(at, datetime) or at.utcoffset() is None:
        raise Unreadable("an event has no time with a zone")
    kind = str(item.get("kind", "other"))
    return Event(kind if kind in KINDS else "other", _address(item.get("email")),
                 at.astimezone(UTC), [str(x) for x in item.get("list_ids") or []],
                 new_email=_address(item.get("new_email")), ip=item.get("ip"),
                 detail=item.get("detail"), raw=dict(item.get("raw") or {}),
                 key=str(item.get("key") or ""))


# --- setup ------------------------------------------------------------------------------


def add_webhook(ctx: EventContext, provider: str, purpose_code: str,
                list_id: str | None = None) -> WebhookEndpoint:
    """Create the tenant's webhook for `provider` (or keep its secret) and map `list_id`
    (none: the default purpose) to the purpose `purpose_code`. Not committed."""
    known = providers(ctx)
    if provider not in known:
        raise ConsentInputError("provider", f"'{provider}' is not one of "
                                f"{', '.join(sorted(known))}.")
    purpose = find_purpose(purpose_code or "")
    if purpose is None:
        raise ConsentInputError("purpose", f"'{purpose_code}' is not a purpose of this "
                                "tenant; list them with 'crm purposes list'.")
    endpoint = db.session.scalar(select(WebhookEndpoint).where(
        WebhookEndpoint.provider == provider))
    if endpoint is None:
        endpoint = WebhookEndpoint(provider=provider, secret=secrets.token_urlsafe(24),
                                   tenant_id=ctx.tenant_id)
        db.session.add(endpoint)
    key = (list_id or "").strip()[:128]
    mapping = db.session.scalar(select(ListMapping).where(
        ListMapping.provider == provider, ListMapping.list_id == key))
    if mapping is None:
        mapping = ListMapping(provider=provider, list_id=key, tenant_id=ctx.tenant_id,
                              purpose_id=purpose.id)
        db.session.add(mapping)
    mapping.purpose_id = purpose.id
    db.session.flush()
    return endpoint


def hook_url(tenant_slug: str, endpoint: WebhookEndpoint, base: str | None = None) -> str:
    """The URL to paste into the mailing system for `endpoint` (see `absolute_url`)."""
    return absolute_url(f"/hooks/{tenant_slug}/{endpoint.provider}/{endpoint.secret}", base)


def describe() -> list[dict[str, Any]]:
    """The tenant's list mappings: provider, list id, purpose code."""
    rows = db.session.scalars(select(ListMapping).order_by(ListMapping.provider,
                                                           ListMapping.list_id))
    return [{"provider": r.provider, "list_id": r.list_id, "purpose": r.purpose.code}
            for r in rows]


# --- reading deliveries -------------------------------------------------------------------


def _address(raw: Any) -> str | None:
    try:
        return normalize_email(str(raw)) if raw else None
    except InvalidEmail:
        return None


def _epoch(raw: Any) -> datetime:
    try:
        return datetime.fromtimestamp(int(raw), UTC)
    except (TypeError, ValueError, OverflowError, OSError):
        raise Unreadable(f"'{raw}' is not a time in epoch seconds") from None


def read_mailchimp(body: bytes) -> list[Event]:
    """Mailchimp: a form-encoded POST with bracketed keys; `fired_at` is UTC without zone."""
    try:
        fields = dict(parse_qsl(body.decode("utf-8"), keep_blank_values=True,
                                strict_parsing=True))
    except (UnicodeDecodeError, ValueError):
        raise Unreadable("the body is not form-encoded") from None
    kind = fields.get("type", "")
    try:
        at = datetime.strptime(fields.get("fired_at", ""), "%Y-%m-%d %H:%M:%S").replace(
            tzinfo=UTC)
    except ValueError:
        raise Unreadable("fired_at is missing or not YYYY-MM-DD HH:MM:SS") from None
    if kind not in ("subscribe", "unsubscribe", "profile", "cleaned", "upemail", "campaign"):
        raise Unreadable(f"'{kind}' is not a Mailchimp event type")
    list_ids = [fields["data[list_id]"]] if fields.get("data[list_id]") else []
    if kind == "upemail":
        return [Event("upemail", _address(fields.get("data[old_email]")), at, list_ids,
                      new_email=_address(fields.get("data[new_email]")), raw=fields)]
    mapped = {"cleaned": "cleaned"}.get(kind, kind)
    return [Event(mapped, _address(fields.get("data[email]")), at, list_ids,
                  ip=fields.get("data[ip_opt]") or fields.get("data[ip_signup]"),
                  detail=fields.get("data[reason]"), raw=fields,
                  key=fields.get("data[campaign_id]", ""))]


def _json(body: bytes) -> Any:
    try:
        return json.loads(body.decode("utf-8"))
    except (UnicodeDecodeError, ValueError):
        raise Unreadable("the body is not JSON") from None


BREVO_KINDS = {"unsubscribe": "unsubscribe", "unsubscribed": "unsubscribe", "spam": "spam",
               "hard_bounce": "bounce", "hardbounce": "bounce", "list_addition": "subscribe"}


def read_brevo(body: bytes) -> list[Event]:
    """Brevo: one JSON event (or an array); `ts_event` is epoch seconds UTC."""
    data = _json(body)
    items = data if isinstance(data, list) else [data]
    events = []
    for item in items:
        if not isinstance(item, dict) or "event" not in item:
            raise Unreadable("a Brevo event needs an 'event' key")
        lists = item.get("list_id") or []
        lists = [str(x) for x in (lists if isinstance(lists, list) else [lists])]
        if item.get("camp_id") not in (None, ""):
            lists.append(f"campaign:{item['camp_id']}")
        at = _epoch(item.get("ts_event") or item.get("ts"))
        events.append(Event(BREVO_KINDS.get(str(item["event"]).lower(), "other"),
                            _address(item.get("email")), at, lists, raw=item,
                            key=str(item.get("id", ""))))
    return events


def read_mailjet(body: bytes) -> list[Event]:
    """Mailjet: version 2 posts a JSON array of events (version 1: one object)."""
    data = _json(body)
    items = data if isinstance(data, list) else [data]
    events = []
    for item in items:
        if not isinstance(item, dict) or "event" not in item:
            raise Unreadable("a Mailjet event needs an 'event' key")
        name = str(item["event"]).lower()
        kind = {"unsub": "unsubscribe", "spam": "spam"}.get(name, "other")
        if name == "bounce" and item.get("hard_bounce"):
            kind = "bounce"
        lists = [str(item["mj_list_id"])] if item.get("mj_list_id") not in (None, "") else []
        events.append(Event(kind, _address(item.get("email")), _epoch(item.get("time")),
                            lists, ip=item.get("ip"), raw=item,
                            key=str(item.get("MessageID", ""))))
    return events


BUILTIN_PROVIDERS = (
    {"code": "mailchimp", "label": "Mailchimp", "read": read_mailchimp},
    {"code": "brevo", "label": "Brevo", "read": read_brevo},
    {"code": "mailjet", "label": "Mailjet", "read": read_mailjet},
)


# --- applying events ----------------------------------------------------------------------


def _purpose(provider: str, event: Event) -> Any:
    for list_id in event.list_ids:
        row = db.session.scalar(select(ListMapping).where(
            ListMapping.provider == provider, ListMapping.list_id == list_id))
        if row is not None:
            return row.purpose
    return mapped_purpose(provider, None)


def _contact(email: str | None) -> Contact | None:
    if not email:
        return None
    return db.session.scalar(select(Contact).where(Contact.email == email))


def apply_event(ctx: EventContext, provider: str, event: Event) -> str:
    """Apply one canonical event (not committed); return what came of it."""
    if event.kind in ("other", "campaign"):
        return "ignored: no consent meaning"
    if not event.email:
        return "ignored: no valid address"
    for address in (event.email, event.new_email):
        if address and emit("crm_is_suppressed", ctx, email=address):
            return "ignored: the address is suppressed"
    payload = {"provider": provider, "event": event.raw}
    source = provider
    if event.kind in ("cleaned", "bounce"):
        reason = "cleaned" if event.kind == "cleaned" else "hard bounce"
        existing = deliverability.active_mark(event.email)
        deliverability.mark_undeliverable(ctx, event.email, reason=reason, source=source,
                                          detail=event.detail, at=event.at)
        return "unchanged: already undeliverable" if existing else f"marked undeliverable "\
            f"({reason})"
    if event.kind == "upemail":
        contact = _contact(event.email)
        if contact is None:
            return "ignored: no contact has the old address"
        if not event.new_email:
            return "ignored: the new address is not valid"
        if _contact(event.new_email) is not None:
            current_app.logger.warning("webhook %s: upemail refused, the new address belongs "
                                       "to another contact", provider)
            return "refused: another contact has the new address"
        contact.email = event.new_email
        db.session.flush()
        return "changed the contact's address"
    if event.kind == "profile":
        return "ignored: a profile update never grants"
    purpose = _purpose(provider, event)
    if purpose is None:
        return "ignored: no purpose is mapped to this list"
    contact = _contact(event.email)
    if event.kind in ("unsubscribe", "spam"):
        if contact is None:
            return "ignored: no such contact"
        consent = consent_logic.find_consent(contact, purpose)
        if consent is None:
            return f"ignored: no consent to {purpose.code}"
        state = current_state(consent, ctx.at)
        if state not in (ConsentState.GRANTED, ConsentState.PENDING):
            return f"unchanged: the consent is {state.value}"
        start = consent.given_at or consent.requested_at
        if start is not None and event.at < start:
            return "ignored: older than the recorded consent"
        reason = "spam complaint" if event.kind == "spam" else (
            f"unsubscribed ({event.detail})" if event.detail else "unsubscribed")
        consent_logic.withdraw(ctx, consent, withdrawn_at=event.at, reason=reason,
                               source=source, payload=payload)
        return f"withdrew {purpose.code}" + (" (complaint)" if event.kind == "spam" else "")
    if event.kind == "subscribe":
        if contact is None:
            merges = event.raw
            contact = Contact(email=event.email, tenant_id=ctx.tenant_id,
                              first_name=str(merges.get("data[merges][FNAME]", ""))[:128],
                              last_name=str(merges.get("data[merges][LNAME]", ""))[:128])
            db.session.add(contact)
            db.session.flush()
        consent = consent_logic.find_consent(contact, purpose)
        if consent is not None:
            later = [m for m in (consent.withdrawn_at, consent.refused_at) if m is not None]
            if any(m >= event.at for m in later):
                return "ignored: a later withdrawal is recorded"
            if consent.state == ConsentState.GRANTED and consent.given_at is not None and (
                    consent.given_at <= event.at or current_state(consent, ctx.at)
                    == ConsentState.GRANTED):
                return f"unchanged: {purpose.code} is granted"
        consent_logic.grant(ctx, contact, purpose, given_at=event.at, source=source,
                            source_detail=f"{provider} list {','.join(event.list_ids)}"[:255],
                            ip=event.ip, use_default=False, payload=payload)
        return f"granted {purpose.code}"
    return "ignored: unknown event"


def receive(ctx: EventContext, provider: str, body: bytes) -> dict[str, int]:
    """Read and apply a delivery; commit; return counts (accepted, duplicates, ignored).
    Raises Unreadable."""
    try:
        events = [_event(item) for item in providers(ctx)[provider]["read"](body)]
    except ValueError as exc:  # a reader's way of saying what it cannot read
        raise Unreadable(str(exc)) from None
    counts = {"accepted": 0, "duplicates": 0, "ignored": 0}
    # withdrawals before grants at the same instant: the withdrawal wins
    order = {"unsubscribe": 0, "spam": 0, "cleaned": 1, "bounce": 1}
    for event in sorted(events, key=lambda e: (e.at, order.get(e.kind, 2))):
        digest = event.digest(provider)
        seen = db.session.scalar(select(WebhookEvent.id).where(
            WebhookEvent.provider == provider, WebhookEvent.digest == digest))
        if seen is not None:
            counts["duplicates"] += 1
            continue
        try:
            outcome = apply_event(ctx, provider, event)
        except ConsentInputError as exc:
            outcome = f"refused: {exc}"
        suppressed = outcome == "ignored: the address is suppressed"
        if suppressed:
            current_app.logger.info("webhook %s: %s event for a suppressed address ignored",
                                    provider, event.kind)
        db.session.add(WebhookEvent(
            provider=provider, digest=digest, kind=event.kind[:32],
            email=None if suppressed else event.email, occurred_at=event.at,
            list_id=",".join(event.list_ids)[:128] or None, outcome=outcome[:255],
            payload=None if suppressed else event.raw, tenant_id=ctx.tenant_id,
        ))
        db.session.flush()
        counts["ignored" if outcome.startswith(("ignored", "refused")) else "accepted"] += 1
    db.session.commit()
    return counts


@blueprint.route("/hooks/<tenant>/<provider>/<secret>", methods=["GET", "HEAD", "POST"])
def hook(tenant: str, provider: str, secret: str) -> Any:
    """The webhook endpoint: GET answers 200 (Mailchimp's URL check); POST applies events."""
    ref = request_tenant()
    if ref is None:
        abort(404)
    # the actor of everything this delivery changes (the audit trail records it)
    set_actor(f"webhook:{provider}", tenant=ref)
    ctx = context(tenant=ref)
    if provider not in providers(ctx):
        abort(404)
    with tenant_scope(ref.id):
        endpoint = db.session.scalar(select(WebhookEndpoint).where(
            WebhookEndpoint.provider == provider))
        if endpoint is None or not hmac.compare_digest(endpoint.secret.encode(),
                                                       secret.encode()):
            abort(404)
        if request.method in ("GET", "HEAD"):
            return Response("ok", mimetype="text/plain")
        limit = int(current_app.config.get("WEBHOOK_MAX_BYTES", MAX_BODY))
        if request.content_length is not None and request.content_length > limit:
            too_large(limit)
        body = request.stream.read(limit + 1)
        if len(body) > limit:
            too_large(limit)
        try:
            counts = receive(ctx, provider, body)
        except Unreadable as exc:
            db.session.rollback()
            current_app.logger.warning("webhook %s for tenant %s: unreadable body (%s)",
                                       provider, ref.slug, exc)
            return jsonify(error=f"The body cannot be read: {exc}."), 400
        except IntegrityError:
            # the same events arrived twice at once: the other delivery applied them
            db.session.rollback()
            return jsonify(accepted=0, duplicates=0, ignored=0,
                           note="applied by a concurrent delivery of the same events")
    return jsonify(counts)
