"""The core's hook specifications. Every hook name starts with `crm_`.

Two families (as in Datasette):

* boot hooks are called once per app, for every *installed* plugin; they return things
  the core registers (models, admin views, blueprints, commands, settings, defaults);
* runtime hooks are called for the plugins *enabled for the tenant* the event belongs to
  (pluggy's `subset_hook_caller`), or for every installed plugin when the event has no
  tenant (a failed login with an unknown address, a backup restore).

Every runtime event receives `ctx`, a `core.events.EventContext` with the tenant (or None),
the actor (`user:<e-mail>`, `cli:<os user>`, `webhook:<provider>`, `form:<ip>`, `system`),
the IP address, user agent, request id and the time (aware UTC). Arguments are passed by
keyword only. `docs/hooks.md` documents each spec; a test keeps the two in step.
"""

from __future__ import annotations

from typing import Any

import pluggy

hookspec = pluggy.HookspecMarker("crm")
hookimpl = pluggy.HookimplMarker("crm")


# --- boot hooks -----------------------------------------------------------------------------


@hookspec
def crm_register_models() -> list[type]:
    """Called once at boot. Return the plugin's model classes.

    Their tables must be named `<plugin>_...`; the core refuses a clash or another prefix.
    Only installed plugins are asked, so only their tables exist.
    """


@hookspec
def crm_register_admin_views(admin: Any) -> list[Any]:
    """Called once at boot with the Flask-Admin instance. Return admin views to add.

    Each view's endpoint must start with `<plugin>_`; its pages answer 404 for tenants that
    have not enabled the plugin, and its menu entry is hidden for them. Return NEW view
    objects on every call (one app's views are never another's): model pages inherit
    `core.admin.CrmModelView`, other pages `core.admin.access.CrmViewMixin` with
    `flask_admin.BaseView`; `allowed_roles = TENANT_ADMINS` keeps a page to tenant admins.
    """


@hookspec
def crm_register_blueprints() -> list[Any]:
    """Called once at boot. Return Flask blueprints (routes) of the plugin.

    Blueprint names must start with the plugin's name; requests to a route of a plugin the
    tenant has not enabled answer 404 (the core checks the URL's tenant, or the user's).
    """


@hookspec
def crm_register_commands() -> list[Any]:
    """Called once at boot. Return click commands or groups to add to `crm`."""


@hookspec
def crm_config_defaults() -> dict[str, Any]:
    """Called once at boot, before the environment is read. Return default config values
    (`CRM_<KEY>` in the environment and the test config override them)."""


@hookspec
def crm_settings() -> list[Any]:
    """Called once at boot. Return the plugin's per-tenant settings as a list of
    `core.settings.Setting` (key, type, default, label); tenant admins edit them on the
    plugins page and code reads them with `core.settings.get_setting`."""


@hookspec
def crm_setting_kinds() -> dict[str, Any]:
    """Called once at boot, before `crm_settings`. Return {kind: check} for kinds of setting
    values the plugin offers (`Setting(kind=...)`): `check(value)` runs with the tenant in
    scope and returns None, or the problem as a clause (see `core.setting_kinds`)."""


# --- plugin lifecycle ------------------------------------------------------------------------


@hookspec
def crm_plugin_enabled(ctx: Any, plugin: str) -> None:
    """Called on the plugin just enabled for `ctx.tenant` (and only on it). Returns nothing."""


@hookspec
def crm_plugin_disabled(ctx: Any, plugin: str) -> None:
    """Called on the plugin just disabled for `ctx.tenant` (and only on it), before its
    hooks stop being called for that tenant. Data stays. Returns nothing."""


# --- events ---------------------------------------------------------------------------------


@hookspec
def crm_user_logged_in(ctx: Any, user: Any) -> None:
    """Called after `user` logged in (the session is already renewed). Returns nothing."""


@hookspec
def crm_login_failed(ctx: Any, email: str, reason: str) -> None:
    """Called after a failed login. `email` is what was typed (normalized when possible);
    `reason` is `unknown_user`, `bad_password`, `inactive` or `throttled`; `ctx.tenant` is
    None for an unknown address. The password tried is never passed. Returns nothing."""


@hookspec
def crm_user_logged_out(ctx: Any, user: Any) -> None:
    """Called when `user` logged out, before the session is cleared. Returns nothing."""


@hookspec
def crm_list_viewed(
    ctx: Any, list_name: str, search: str | None, filters: dict[str, Any], page: int,
    rows_shown: int,
) -> None:
    """Called when a list page was shown: which list (`contacts`, ...), the search text, the
    active filters, the page (0-based) and how many rows were shown. Returns nothing."""


@hookspec
def crm_record_viewed(ctx: Any, record: Any) -> None:
    """Called when the detail page of `record` (a model instance) was shown. Returns nothing."""


@hookspec
def crm_record_created(ctx: Any, record: Any) -> None:
    """Called inside the flush that inserted `record`, in the same transaction; the record
    has its id. Implementations may `db.session.add()` rows (they are flushed before the
    commit) but must not commit. Returns nothing."""


@hookspec
def crm_records_created(ctx: Any, records: list[Any]) -> None:
    """Called once for many records inserted together by `core.bulk.insert_records` (an
    import writes thousands of rows with a few statements and makes no model instances),
    in the same transaction, instead of `crm_record_created` for each. `records` are
    `core.events.CreatedRecord`: the table name, the new id, the label the record's
    `str()` gives, and the values inserted (secret fields hidden). Implementations may
    `db.session.add()` rows but must not commit. Returns nothing."""


@hookspec
def crm_record_updated(ctx: Any, record: Any, changes: dict[str, tuple[Any, Any]]) -> None:
    """Called inside the flush that updated `record`, with {field: (before, after)} for the
    fields that changed. Secret fields (password hashes, tokens) are never included; a
    soft delete or restore is reported by its own hooks, not here. Returns nothing."""


@hookspec(firstresult=True)
def crm_delete_record(ctx: Any, record: Any) -> str | None:
    """Called when a user or command asks to delete `record`. The first plugin that takes
    the delete over returns a word saying what it did (the trash plugin: `"trashed"`);
    when every plugin returns None the core deletes the row for real."""


@hookspec
def crm_record_deleted(ctx: Any, record: Any, how: str) -> None:
    """Called after `record` was deleted; `how` is `"deleted"` (gone) or what the plugin
    that took the delete over returned (e.g. `"trashed"`). Returns nothing."""


@hookspec
def crm_record_restored(ctx: Any, record: Any) -> None:
    """Called after a trashed `record` was restored. Returns nothing."""


@hookspec
def crm_records_purged(ctx: Any, records: list[Any]) -> None:
    """Called when rows are removed for good (trash emptied, retention, erasure), before
    they are deleted; `records` are `core.events.RecordRef` (type, id, label, e-mail).
    Plugins remove or redact what they keep about them. Returns nothing."""


@hookspec
def crm_records_anonymized(ctx: Any, records: list[Any]) -> None:
    """Called when rows are kept but stripped of a person's details (an erasure in
    `anonymize` mode keeps a plugin's rows without address, names, IP or payload);
    `records` are `core.events.RecordRef` (type, id, label, e-mail as it was). Plugins
    redact what they keep about them (the audit blanks its entries about them). Returns
    nothing."""


@hookspec
def crm_records_imported(
    ctx: Any, what: str, file_name: str, rows_read: int, created: int, updated: int,
    rejected: int,
) -> None:
    """Called after an import committed (or a dry run finished, with `what` ending in
    `(dry run)`): what was imported, from which file, and the row counts. Returns nothing."""


@hookspec
def crm_records_exported(
    ctx: Any, what: str, file_format: str, subject: str | None, rows: int,
    details: dict[str, Any],
) -> None:
    """Called after an export was produced: what (`contacts list`, `subject data`, ...), the
    format (`csv`, `xlsx`, `docx`, `json`), about whom (a label or None), the row count and
    details (filters, items left out). Returns nothing."""


# --- contributions --------------------------------------------------------------------------


@hookspec
def crm_subject_data(ctx: Any, contact: Any) -> list[Any]:
    """Called to gather everything held about a person (right of access, erasure preview).
    Return a list of `core.events.Section` (title, columns, rows) of this contact only."""


@hookspec
def crm_subject_erase(ctx: Any, contact: Any, mode: str) -> list[str]:
    """Called to erase a person: `mode` is `"erase"` (remove) or `"anonymize"` (replace the
    person's details, keep business records). Each plugin erases or anonymizes its part
    and returns one line per kind of thing it changed (for the erasure report)."""


@hookspec
def crm_address_data(ctx: Any, email: str) -> list[Any]:
    """Called to gather what is held about an address that belongs to no contact (a web
    form submission never confirmed, mailing-system events): `email` is normalized. Return
    a list of `core.events.Section` of rows kept under this address and no contact."""


@hookspec
def crm_address_erase(ctx: Any, email: str, mode: str) -> list[str]:
    """Called after the person's contacts were erased (or when no contact has the address):
    erase (`mode="erase"`) or strip (`"anonymize"`) the rows kept under the normalized
    address `email` that belong to no contact, reporting them first through
    `crm_records_purged` (erase) or `crm_records_anonymized` (anonymize) so that other
    plugins forget them too. Returns one line per kind of thing changed."""


@hookspec(firstresult=True)
def crm_is_suppressed(ctx: Any, email: str) -> str | None:
    """Called before an address is (re)created by an import, a webhook, a form or a restore.
    Return a reason (e.g. `"erased on 2025-01-02"`) when it must not come back, else None."""


@hookspec
def crm_backup_restored(ctx: Any, backup_name: str) -> list[str]:
    """Called after a backup was restored (ctx.tenant is None: every installed plugin is
    asked). Plugins re-apply what must survive a restore (erasures made since) and return
    one line per thing they did."""


@hookspec
def crm_contact_panels(ctx: Any, contact: Any) -> list[Any]:
    """Called when a contact page is shown. Return `core.events.Panel` objects (title, html,
    order) to show below the contact (consents, history)."""
