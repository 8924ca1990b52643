"""What each event records: the action names and one function per core event.

Each entry names its target (type, id, a short label) and, when the target is a contact or
belongs to one (a consent, an attachment), the contact's id, so that the contact's history
finds it. Non-personal facts (page, row counts, names of changed fields) go into `info`,
which the chain covers as it is; personal ones (labels, values, search text, file names)
into `label` and `details`, which redaction can blank. Related records appear in values by
type and id (`contact #12`), so one person's name never sits in another record's entries,
where erasing that person could not find it.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import inspect

from core.emails import InvalidEmail, normalize_email
from core.events import CreatedRecord, EventContext, emit, field_changes, record_type
from plugins.audit.recorder import record

LOGIN = "login"
LOGIN_FAILED = "login_failed"
LOGOUT = "logout"
LIST_VIEWED = "list_viewed"
VIEWED = "viewed"
CREATED = "created"
UPDATED = "updated"
DELETED = "deleted"
RESTORED = "restored"
PURGED = "purged"
IMPORTED = "imported"
ERASED_SEARCH = "(an erased person's address)"
"""What a list view's search or filter holds instead of an address in the erasure ledger."""
EXPORTED = "exported"
PLUGIN_ENABLED = "plugin_enabled"
PLUGIN_DISABLED = "plugin_disabled"
REDACTED = "redacted"
LOG_PURGED = "log_purged"

ACTIONS = (
    LOGIN, LOGIN_FAILED, LOGOUT, LIST_VIEWED, VIEWED, CREATED, UPDATED, DELETED, RESTORED,
    PURGED, IMPORTED, EXPORTED, PLUGIN_ENABLED, PLUGIN_DISABLED, REDACTED, LOG_PURGED,
)

# columns that say nothing about what a user changed
_BOOKKEEPING = {
    "id", "tenant_id", "created_at", "updated_at", "search_key", "deleted_at", "deleted_by",
    "deletion_unit",
}
_LABEL_ATTRIBUTES = ("email", "name", "plugin", "key", "subject", "filename")


def label_of(record: Any) -> str:
    """A short label for `record`: its own text, else a telling attribute, else type #id."""
    if type(record).__str__ is not object.__str__:
        return str(record)
    for attribute in _LABEL_ATTRIBUTES:
        value = getattr(record, attribute, None)
        if isinstance(value, str) and value:
            return value
    return f"{record_type(record)} #{record.id}"


def contact_of(record: Any) -> int | None:
    """The id of the contact `record` is or belongs to, or None (an audit entry about a
    contact, opened on the audit page, does not belong to the contact's history)."""
    kind = record_type(record)
    if kind == "contact":
        return record.id
    if kind.startswith("audit_"):
        return None
    contact_id = getattr(record, "contact_id", None)
    if isinstance(contact_id, int):
        return contact_id
    if getattr(record, "owner_type", None) == "contact":
        owner_id = getattr(record, "owner_id", None)
        return owner_id if isinstance(owner_id, int) else None
    return None


def reference(related: Any) -> str:
    """How a related record is named in an entry's values: `contact #12`, never its label
    (another person's name in this record's entry could not be erased with them)."""
    return f"{record_type(related)} #{related.id}"


def _by_reference(record_: Any, changes: dict[str, tuple[Any, Any]]) -> dict[str, list[Any]]:
    """{field: [before, after]} with related records named by reference, not by label.

    The core reports a changed relationship (a company's contacts, an activity's
    participants) with the related records' labels; the ORM still holds the objects while
    the flush's events run, so they are named by type and id instead."""
    state = inspect(record_)
    relationships = state.mapper.relationships
    out: dict[str, list[Any]] = {}
    for name, (before, after) in changes.items():
        if name not in relationships:
            out[name] = [before, after]
            continue
        history = state.attrs[name].history
        if relationships[name].uselist:
            now = [item for item in (getattr(record_, name) or []) if item is not None]
            added = {id(item) for item in history.added}
            previous = [item for item in now if id(item) not in added] + [
                item for item in history.deleted if item is not None]
            out[name] = [sorted(map(reference, previous)), sorted(map(reference, now))]
        else:
            old = history.deleted[0] if history.deleted else None
            new = history.added[0] if history.added else None
            out[name] = [None if old is None else reference(old),
                         None if new is None else reference(new)]
    return out


def record_target(record: Any) -> dict[str, Any]:
    """The target arguments of `record()` for a model instance."""
    return {
        "target_type": record_type(record),
        "target_id": record.id,
        "label": label_of(record),
        "contact_id": contact_of(record),
    }


def user_logged_in(ctx: EventContext, user: Any) -> None:
    """A user logged in."""
    record(ctx, LOGIN, user_id=user.id, **record_target(user))


def login_failed(ctx: EventContext, email: str, reason: str) -> None:
    """A login failed; the address typed is personal, the reason is not."""
    record(ctx, LOGIN_FAILED, target_type="user_account", label=email,
           info={"reason": reason})


def user_logged_out(ctx: EventContext, user: Any) -> None:
    """A user logged out."""
    record(ctx, LOGOUT, user_id=user.id, **record_target(user))


def list_viewed(ctx: EventContext, list_name: str, search: str | None,
                filters: dict[str, Any], page: int, rows_shown: int) -> None:
    """A list page was shown: which list, page and row count; search and filters (they
    may name people) are personal. The search text is also the label, so that erasing a
    person finds the searches for them (see `redaction.py`). A search or filter value that
    is an address in the erasure ledger is logged as `ERASED_SEARCH`, not as the address."""
    if _erased_address(ctx, search):
        search = ERASED_SEARCH
    filters = {key: ERASED_SEARCH if _erased_address(ctx, value) else value
               for key, value in (filters or {}).items()}
    details = {key: value for key, value in (("search", search), ("filters", filters)) if value}
    record(ctx, LIST_VIEWED, target_type=list_name,
           label=search if search and search != ERASED_SEARCH else None,
           info={"page": page, "rows": rows_shown, "filtered": bool(details)},
           details=details or None)


def _erased_address(ctx: EventContext, text: Any) -> bool:
    """True when `text` is an address the erasure ledger holds (`crm_is_suppressed`): a
    search that checks an erasure must not write the address back into the trail."""
    if not isinstance(text, str) or "@" not in text:
        return False
    try:
        address = normalize_email(text)
    except InvalidEmail:
        return False
    return bool(emit("crm_is_suppressed", ctx, email=address))


def record_viewed(ctx: EventContext, record_: Any) -> None:
    """A record's detail page was shown."""
    record(ctx, VIEWED, **record_target(record_))


def _own_switch(record_: Any) -> bool:
    """The row that switches this plugin on or off: `plugin_enabled`/`_disabled` say it."""
    return record_type(record_) == "tenant_plugin" and getattr(record_, "plugin", "") == "audit"


def record_created(ctx: EventContext, record_: Any) -> None:
    """A record was inserted: its first values (secrets hidden by the core)."""
    if _own_switch(record_):
        return
    changes = _by_reference(record_, {
        name: change for name, change in field_changes(record_).items()
        if name not in _BOOKKEEPING
    })
    values = {name: after for name, (_before, after) in changes.items()
              if after not in (None, "", [])}
    record(ctx, CREATED, details={"values": values} if values else None,
           **record_target(record_))


def records_created(ctx: EventContext, records: list[CreatedRecord]) -> None:
    """Records inserted by a bulk write: the entry `record_created` makes for each (its
    contact: the record itself for a contact, else its `contact_id`)."""
    for created in records:
        values = {name: value for name, value in created.values.items()
                  if name not in _BOOKKEEPING and value not in (None, "", [])}
        contact_id = created.id if created.type == "contact" else created.values.get(
            "contact_id")
        record(ctx, CREATED, details={"values": values} if values else None,
               target_type=created.type, target_id=created.id, label=created.label,
               contact_id=contact_id if isinstance(contact_id, int) else None)


def record_updated(ctx: EventContext, record_: Any,
                   changes: dict[str, tuple[Any, Any]]) -> None:
    """A record was updated: the field names (chained) and before/after values (personal)."""
    changed = _by_reference(record_, {name: change for name, change in changes.items()
                                      if name not in _BOOKKEEPING})
    if not changed or _own_switch(record_):
        return
    record(ctx, UPDATED, info={"fields": sorted(changed)}, details={"changes": changed},
           **record_target(record_))


def record_deleted(ctx: EventContext, record_: Any, how: str) -> None:
    """A record was deleted (`how`: `deleted` for good, or e.g. `trashed`)."""
    record(ctx, DELETED, info={"how": how}, **record_target(record_))


def record_restored(ctx: EventContext, record_: Any) -> None:
    """A trashed record was restored."""
    record(ctx, RESTORED, **record_target(record_))


def records_imported(ctx: EventContext, what: str, file_name: str, rows_read: int,
                     created: int, updated: int, rejected: int) -> None:
    """An import finished: what, the file (its name may name a person) and the counts."""
    record(ctx, IMPORTED, label=file_name, info={
        "what": what, "rows_read": rows_read, "created": created, "updated": updated,
        "rejected": rejected,
    })


def records_exported(ctx: EventContext, what: str, file_format: str, subject: str | None,
                     rows: int, details: dict[str, Any]) -> None:
    """An export was produced: what, the format and row count; about whom and the details
    are personal. A `contact_id` in the details puts the entry in that contact's history."""
    contact_id = details.get("contact_id") if details else None
    contact_id = contact_id if isinstance(contact_id, int) else None
    record(ctx, EXPORTED, target_type="contact" if contact_id else None, target_id=contact_id,
           contact_id=contact_id, label=subject,
           info={"what": what, "format": file_format, "rows": rows},
           details=details or None)


def plugin_toggled(ctx: EventContext, plugin: str, enabled: bool) -> None:
    """The audit plugin was switched on or off for the tenant."""
    record(ctx, PLUGIN_ENABLED if enabled else PLUGIN_DISABLED, target_type="plugin",
           info={"plugin": plugin})
