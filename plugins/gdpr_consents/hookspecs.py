"""Extension points of the `gdpr_consents` plugin (added to the manager when it is installed).

Other plugins (and external packages such as a customer's own consent source) implement
them with `core.hookspecs.hookimpl`, like any core hook; they are runtime hooks, called for
the plugins enabled for the tenant in question, with keyword arguments only. The plugin
implements `crm_consent_sources` itself for its built-in sources. Documented in the
`gdpr_consents` section of `docs/hooks.md`.
"""

from __future__ import annotations

from typing import Any

from core.hookspecs import hookspec


@hookspec
def crm_consent_sources(ctx: Any) -> list[dict[str, Any]]:
    """Called when the consent sources of `ctx.tenant` are needed (validating a consent,
    filling the source list of a form). Return a list of dicts: `code` (at most 32
    characters: lower-case letters, digits, `_`), `label`, and `required`, the consent
    fields that must be filled for a consent from this source (e.g. `["ip",
    "user_agent"]` for an online form; any of `source_detail`, `ip`, `user_agent`,
    `notice_version`, `notice_text`, `proof`). A code given twice is an error."""


@hookspec
def crm_consent_rules(ctx: Any, contact: Any, purpose: Any, source: str) -> list[str]:
    """Called before a consent of `contact` (a core Contact) to `purpose` (a Purpose) is
    granted, with the source code. Return the reasons this consent must not be recorded
    (e.g. `"the contact is under 16"`), or an empty list. Any reason refuses the grant with
    a message that lists them; nothing is stored."""


@hookspec
def crm_segment_filters(ctx: Any) -> list[dict[str, Any]]:
    """Called when a segment is built or its options are shown. Return named filters: dicts
    with `key` (unique, lower-case), `label`, and `where`, a function that takes the core
    `Contact` model and returns a SQLAlchemy boolean clause over it (keep it set-based: it
    runs inside the one segment query)."""


@hookspec
def crm_consent_changed(ctx: Any, consent: Any, event: Any) -> None:
    """Called after a consent changed (granted, renewed, rectified, withdrawn, expired,
    refused, requested), inside the same transaction, with the consent and the new
    `ConsentEvent`. For mailing-system adapters that mirror consents. Implementations may
    `db.session.add()` rows but must not commit. Returns nothing."""


@hookspec
def crm_consent_fields(ctx: Any) -> list[dict[str, Any]]:
    """Called when the consent form of a contact is shown and when a consent is granted.
    Return extra fields a consent from some sources carries (e.g. a receipt number): dicts
    with `name` (lower-case letters, digits, `_`; the form sends it as `field_<name>`),
    `label`, `sources` (the source codes it belongs to), `required` (bool), optional `help`
    and optional `check`, a function `check(value: str) -> str | None` that returns what is
    wrong with a filled-in value, or None. A missing required value or a failed check
    refuses the grant naming the field; accepted values are kept in the consent event's
    payload under `fields`. A name given twice is an error."""


@hookspec
def crm_webhook_providers(ctx: Any) -> list[dict[str, Any]]:
    """Called when a webhook is set up and when a delivery arrives at
    `/hooks/<tenant>/<provider>/<secret>`. Return the mailing systems the plugin reads:
    dicts with `code` (the URL's `<provider>`, at most 32 characters of `a-z`, `0-9`, `_`;
    also the consent source of what it grants, so declare it in `crm_consent_sources`
    too), `label`, and `read`, a function `read(body: bytes) -> list[dict]` that turns one
    delivery into canonical events: `kind` (`subscribe`, `unsubscribe`, `spam`, `cleaned`,
    `bounce`, `upemail`, `profile` or `other`), `email`, `at` (an aware datetime), and
    optionally `list_ids`, `new_email`, `ip`, `detail`, `raw` (the event as received;
    kept) and `key` (the provider's event id). `read` raises ValueError saying what cannot
    be read (the delivery is answered 400). A code given twice is an error."""
