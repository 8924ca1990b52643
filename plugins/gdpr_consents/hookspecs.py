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
