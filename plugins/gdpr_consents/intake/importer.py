"""Importing consents from a spreadsheet or a Mailchimp audience export.

`run_import` reads the file, then goes through every row inside one transaction: contacts
are matched by normalized e-mail and created when missing (never twice), consents are
granted, refused or withdrawn through the plugin's consent API (so a repeated import
changes nothing), Mailchimp's cleaned members are marked undeliverable. Addresses the
erasure ledger suppresses (`crm_is_suppressed`) are skipped and reported. Any error in any
row, or a dry run, rolls everything back; the report lists per row what was (or would be)
done and every error with its row and column. The import is reported through the core's
`crm_records_imported` hook.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from itertools import islice
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.exc import SQLAlchemyError

from core.bulk import insert_records
from core.clock import zone
from core.db import db
from core.emails import EmailNormalizer, InvalidEmail
from core.events import EventContext, emit, has_listeners
from core.models import Contact, Tag
from core.models.crm import person_label
from core.text import search_key
from plugins.gdpr_consents import consents as consent_logic
from plugins.gdpr_consents import deliverability
from plugins.gdpr_consents.batch import ConsentBatch
from plugins.gdpr_consents.errors import ConsentInputError
from plugins.gdpr_consents.intake import mailchimp
from plugins.gdpr_consents.intake.headers import FIELDS, match_headers
from plugins.gdpr_consents.intake.readers import FileRefused, Limits, Sheet, read_file
from plugins.gdpr_consents.intake.values import (
    DATE_FORMATS,
    CellError,
    read_months,
    read_text,
    read_when,
    read_yes_no,
)
from plugins.gdpr_consents.models import (
    ConsentState,
    ImportMapping,
    ListMapping,
    Purpose,
)
from plugins.gdpr_consents.validity import current_state

IMPORT_SOURCE = "import"
CHUNK_ROWS = 1000
"""Rows of a consent sheet looked up and written together."""

MAPPING_NAME_MAX = ImportMapping.__table__.c.name.type.length
"""The longest name of a saved column mapping (the column's length)."""


class ImportRefused(ValueError):
    """The file as a whole cannot be imported (unreadable, over a limit, no e-mail column);
    str() is one sentence naming the file."""


@dataclass(slots=True)
class RowResult:
    """What one row did (or would do): its changes, or its errors."""

    sheet: str
    row: int
    email: str | None
    status: str = "unchanged"  # created, updated, unchanged, skipped, rejected
    changes: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        """The row as JSON-ready data."""
        return {"sheet": self.sheet, "row": self.row, "email": self.email,
                "status": self.status, "changes": self.changes, "errors": self.errors}


@dataclass
class ImportReport:
    """The outcome of an import or a dry run."""

    file_name: str
    dry_run: bool
    rows: list[RowResult] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    committed: bool = False

    def count(self, status: str) -> int:
        """How many rows ended with `status`."""
        return sum(1 for r in self.rows if r.status == status)

    @property
    def errors(self) -> list[str]:
        """Every error as `file, row N: column: message`."""
        return [f"{r.sheet}, row {r.row}: {e}" for r in self.rows for e in r.errors]

    def summary(self) -> str:
        """One sentence saying what the import did, or would do, and that nothing was
        stored when it was a preview or a row had errors."""
        read = f"{len(self.rows)} rows read"
        created, updated = self.count("created"), self.count("updated")
        unchanged, skipped = self.count("unchanged"), self.count("skipped")
        if self.committed:
            return (f"Imported {self.file_name}: {read}, {created} created, {updated} "
                    f"updated, {unchanged} unchanged, {skipped} skipped.")
        would = (f"would create {created}, update {updated}, leave {unchanged} unchanged "
                 f"and skip {skipped}")
        rejected = self.count("rejected")
        if rejected:
            head = "Preview of" if self.dry_run else "Not imported:"
            return (f"{head} {self.file_name}: {read}, {rejected} with errors; nothing was "
                    f"stored. Without them the import {would}.")
        return (f"Preview of {self.file_name}: {read}; nothing was stored. The import "
                f"{would}.")

    def as_dict(self) -> dict[str, Any]:
        """The report as JSON-ready data."""
        return {"file": self.file_name, "dry_run": self.dry_run, "committed": self.committed,
                "rows_read": len(self.rows),
                **{s: self.count(s) for s in ("created", "updated", "unchanged", "skipped",
                                              "rejected")},
                "notes": self.notes, "rows": [r.as_dict() for r in self.rows]}


class _RowError(Exception):
    def __init__(self, column: str, message: str) -> None:
        super().__init__(f"column {column}: {message}")


@dataclass
class _Options:
    purpose: Purpose | None
    columns: dict[str, str]
    date_format: str


@dataclass(slots=True)
class _SheetRow:
    """One read and checked row of a consent sheet, waiting for its chunk."""

    result: RowResult
    purpose: Purpose | None
    agreed: bool
    when: datetime | None
    months: int | None = None
    until: datetime | None = None
    detail: str | None = None
    note: str | None = None
    contact: dict[str, str | None] = field(default_factory=dict)


def _header(sheet: Sheet, columns: dict[str, int], name: str) -> str:
    """The sheet's header of the field `name` (the field's name when it has no column)."""
    index = columns.get(name)
    return sheet.headers[index] if index is not None else name


def find_purpose(code: str) -> Purpose | None:
    """The tenant's purpose with `code` (case-insensitive), or None."""
    return db.session.scalar(select(Purpose).where(
        func.lower(Purpose.code) == code.strip().lower()))


def mapped_purpose(provider: str, list_id: str | None) -> Purpose | None:
    """The purpose mapped to (provider, list id), else the provider's default purpose."""
    for key in ([list_id] if list_id else []) + [""]:
        row = db.session.scalar(select(ListMapping).where(
            ListMapping.provider == provider, ListMapping.list_id == key))
        if row is not None:
            return row.purpose
    return None


def check_date_format(name: str) -> str:
    """Return `name` when it is a known date format, else raise ConsentInputError naming
    the field."""
    if name not in DATE_FORMATS:
        raise ConsentInputError("date_format", f"'{name}' is not a date format; choose one "
                                f"of {', '.join(DATE_FORMATS)}.")
    return name


def mapping_name(name: str | None, field: str = "mapping") -> str:
    """The stripped name for a saved mapping, or ConsentInputError naming `field` (the
    page's `save_as`, the command's NAME) for an empty or over-long one."""
    name = (name or "").strip()
    if not name:
        raise ConsentInputError(field, "give the mapping a name.")
    if len(name) > MAPPING_NAME_MAX:
        raise ConsentInputError(field, f"the mapping name is {len(name)} characters long; "
                                f"at most {MAPPING_NAME_MAX}.")
    return name


def save_mapping(ctx: EventContext, name: str, columns: dict[str, str],
                 options: dict[str, Any] | None = None,
                 field: str = "mapping") -> ImportMapping:
    """Save (or replace) the tenant's column mapping `name` ({field: header}); a bad name
    is refused naming `field`."""
    name = mapping_name(name, field)
    unknown = sorted(set(columns) - set(FIELDS))
    if unknown:
        raise ConsentInputError("column", f"'{unknown[0]}' is not a field of an import row "
                                          f"(fields: {', '.join(FIELDS)}).")
    row = db.session.scalar(select(ImportMapping).where(ImportMapping.name == name))
    if row is None:
        row = ImportMapping(name=name, tenant_id=ctx.tenant_id, created_by=ctx.actor)
        db.session.add(row)
    row.columns = {k: v for k, v in columns.items() if v}
    row.options = dict(options or {})
    if "date_format" in row.options:
        check_date_format(row.options["date_format"])
    db.session.flush()
    return row


def load_mapping(name: str) -> ImportMapping:
    """The saved mapping `name`, or ConsentInputError naming it."""
    row = db.session.scalar(select(ImportMapping).where(ImportMapping.name == name))
    if row is None:
        known = ", ".join(db.session.scalars(select(ImportMapping.name))) or "none yet"
        raise ConsentInputError("mapping", f"there is no saved mapping '{name}' (saved: "
                                f"{known}).")
    return row


class _Run:
    """One import: the context, the options and the report it fills."""

    def __init__(self, ctx: EventContext, report: ImportReport, options: _Options) -> None:
        self.ctx = ctx
        self.report = report
        self.options = options
        self.tz = zone(ctx.tenant.time_zone if ctx.tenant else None)
        self.contacts: dict[str, Contact] = {}
        self.purposes: dict[str, Purpose | None] = {}
        self.batch = ConsentBatch(ctx)
        # a sheet names each person once per purpose: check an address and ask whether it
        # is suppressed once per import (and each domain once: `EmailNormalizer`)
        self._normalize = EmailNormalizer()
        self._addresses: dict[str, str | InvalidEmail] = {}
        self._suppressed: dict[str, str | None] = {}
        self._suppression = has_listeners("crm_is_suppressed", ctx)

    # --- shared steps ---------------------------------------------------------------------

    def address(self, raw: Any, column: str) -> str:
        if raw is None or not str(raw).strip():
            raise _RowError(column, "the e-mail address is empty.")
        text = str(raw)
        found = self._addresses.get(text)
        if found is None:
            try:
                found = self._normalize(text)
            except InvalidEmail as exc:
                found = exc
            self._addresses[text] = found
        if isinstance(found, InvalidEmail):
            raise _RowError(column, str(found)) from None
        return found

    def suppressed(self, email: str) -> str | None:
        if not self._suppression:  # no enabled plugin keeps a ledger of erased addresses
            return None
        if email not in self._suppressed:
            self._suppressed[email] = emit("crm_is_suppressed", self.ctx, email=email)
        return self._suppressed[email]

    def contact(self, email: str, result: RowResult, **fields: Any) -> Contact:
        contact = self.contacts.get(email)
        if contact is None:
            contact = db.session.scalar(select(Contact).where(Contact.email == email))
        if contact is None:
            contact = Contact(email=email, tenant_id=self.ctx.tenant_id,
                              **{k: v for k, v in fields.items() if v})
            db.session.add(contact)
            db.session.flush()
            result.changes.append(f"create contact {email}")
            result.status = "created"
        self.contacts[email] = contact
        return contact

    def changed(self, result: RowResult, before: tuple[Any, ...] | None,
                after: tuple[Any, ...] | None, text: str, created: bool) -> None:
        """Record `text` when the consent changed between the signatures `before`/`after`."""
        if before != after:
            result.changes.append(text)
            if result.status != "created":
                result.status = "created" if created else "updated"

    @staticmethod
    def signature(contact: Contact, purpose: Purpose) -> tuple[Any, ...] | None:
        """What identifies the recorded state of a consent (None: there is none)."""
        consent = consent_logic.find_consent(contact, purpose)
        if consent is None:
            return None
        return (consent.id, consent.state, consent.given_at, consent.expires_at,
                consent.withdrawn_at, consent.refused_at, consent.requested_at)

    def when_text(self, moment: Any) -> str:
        return moment.astimezone(self.tz).strftime("%Y-%m-%d %H:%M") if moment else "-"

    # --- a generic consent sheet: read row by row, written a chunk at a time ------------------

    def sheet_chunk(self, sheet: Sheet, columns: dict[str, int],
                    rows: list[tuple[int, tuple[Any, ...]]]) -> list[RowResult]:
        """Import a chunk of a consent sheet's rows with a few statements: contacts looked
        up and created together, the consents of the chunk through one `ConsentBatch`."""
        results: list[RowResult] = []
        parsed: list[_SheetRow] = []
        for number, values in rows:
            try:
                row = self.sheet_row(sheet, columns, number, values)
            except _RowError as exc:
                results.append(RowResult(sheet.name, number, None, "rejected",
                                         errors=[str(exc)]))
                continue
            results.append(row.result)
            if row.result.status != "skipped":
                parsed.append(row)
        contacts = self.chunk_contacts(parsed)
        self.batch.load(contact.id for contact in contacts.values())
        for row in parsed:
            try:
                self.record(sheet, columns, row, contacts[row.result.email])
            except _RowError as exc:
                row.result.status, row.result.changes = "rejected", []
                row.result.errors.append(str(exc))
        self.batch.flush()
        return results

    def sheet_row(self, sheet: Sheet, columns: dict[str, int], number: int,
                  values: tuple[Any, ...]) -> _SheetRow:
        """Read and check one row of a consent sheet (nothing is looked up but the
        purpose and the suppression of its address)."""
        def cell(name: str) -> Any:
            index = columns.get(name)
            if index is None:
                return None
            formula = sheet.formulas.get((number, index))
            if formula is not None:
                raise _RowError(header(name), f"the cell holds a formula ({formula}) whose "
                                "result the file does not store; enter the value itself (or "
                                "open and save the file in Excel).")
            return values[index] if index < len(values) else None

        def header(name: str) -> str:
            return _header(sheet, columns, name)

        def text(name: str, limit: int) -> str | None:
            try:
                return read_text(cell(name), limit)
            except CellError as exc:
                raise _RowError(header(name), str(exc)) from None

        result = RowResult(sheet.name, number, None)
        email = self.address(cell("email"), header("email"))
        result.email = email
        reason = self.suppressed(email)
        if reason:
            result.status = "skipped"
            result.changes.append(f"skipped: the address is suppressed ({reason})")
            return _SheetRow(result, None, False, None)
        if "purpose" in columns and text("purpose", 64):
            code = text("purpose", 64) or ""
            purpose = self.purpose(code)
            if purpose is None:
                raise _RowError(header("purpose"), f"'{code}' is not a purpose of this "
                                "tenant; add it with 'crm purposes add' or fix the cell.")
        elif self.options.purpose is not None:
            purpose = self.options.purpose
        else:
            raise _RowError(header("purpose"), "no purpose; add a purpose column or give "
                            "--purpose CODE.")
        try:
            agreed = read_yes_no(cell("consent")) if "consent" in columns else True
        except CellError as exc:
            raise _RowError(header("consent"), str(exc)) from None
        try:
            given = read_when(cell("given_at"), self.tz, date_format=self.options.date_format,
                              epoch=sheet.epoch)
        except CellError as exc:
            raise _RowError(header("given_at"), str(exc)) from None
        try:
            months = read_months(cell("duration_months"))
        except CellError as exc:
            raise _RowError(header("duration_months"), str(exc)) from None
        try:
            until = read_when(cell("expires_at"), self.tz,
                              date_format=self.options.date_format, epoch=sheet.epoch)
        except CellError as exc:
            raise _RowError(header("expires_at"), str(exc)) from None
        if given is None and agreed:
            raise _RowError(header("given_at"), "the date the consent was given is empty.")
        field = "given_at" if agreed else "refused_at"
        try:
            when = consent_logic.answered_at(self.ctx, given or self.ctx.at, field)
        except ConsentInputError as exc:
            raise _RowError(header(exc.field) if exc.field in columns else exc.field,
                            exc.message) from None
        return _SheetRow(result, purpose, agreed, when, months, until,
                         text("source", 255), text("note", 2000),
                         {"first_name": text("first_name", 128),
                          "last_name": text("last_name", 128),
                          "phone": text("phone", 64)})

    def chunk_contacts(self, rows: list[_SheetRow]) -> dict[str, Contact]:
        """The contacts of the rows' addresses ({e-mail: contact}): the missing ones are
        inserted together (from the first row with the address, which reports `create
        contact`), then all are loaded with one query."""
        emails = list(dict.fromkeys(row.result.email for row in rows))
        if not emails:
            return {}
        have = set(db.session.scalars(select(Contact.email).where(Contact.email.in_(emails))))
        new: dict[str, dict[str, Any]] = {}
        for row in rows:
            email = row.result.email
            if email in have or email in new:
                continue
            first, last = row.contact["first_name"] or "", row.contact["last_name"] or ""
            new[email] = {"email": email, "first_name": first, "last_name": last,
                          "phone": row.contact["phone"],
                          "search_key": search_key(first, last, email)}
            row.result.changes.append(f"create contact {email}")
            row.result.status = "created"
        insert_records(self.ctx, Contact, list(new.values()), lambda row: person_label(
            row["first_name"], row["last_name"], row["email"], row["id"]))
        return {c.email: c for c in db.session.scalars(
            select(Contact).where(Contact.email.in_(emails)))}

    def record(self, sheet: Sheet, columns: dict[str, int], row: _SheetRow,
               contact: Contact) -> None:
        """Queue the row's grant or refusal in the batch and report what it changes."""
        purpose = row.purpose
        existed = self.batch.consent(contact, purpose) is not None
        try:
            if row.agreed:
                kind = self.batch.grant(contact, purpose, row.when, source=IMPORT_SOURCE,
                                        source_detail=row.detail,
                                        duration_months=row.months, expires_at=row.until,
                                        reason=row.note)
                text = f"grant {purpose.code} given {self.when_text(row.when)}"
            else:
                kind = self.batch.refuse(contact, purpose, row.when, source=IMPORT_SOURCE,
                                         source_detail=row.detail, reason=row.note)
                text = f"record refusal of {purpose.code}"
        except ConsentInputError as exc:
            raise _RowError(_header(sheet, columns, exc.field) if exc.field in columns
                            else exc.field, exc.message) from None
        if kind is not None:
            row.result.changes.append(text)
            if row.result.status != "created":
                row.result.status = "updated" if existed else "created"

    def purpose(self, code: str) -> Purpose | None:
        """The tenant's purpose `code` (looked up once per import)."""
        key = code.strip().lower()
        if key not in self.purposes:
            self.purposes[key] = find_purpose(key)
        return self.purposes[key]

    # --- a Mailchimp audience export ------------------------------------------------------

    def mailchimp_row(self, sheet: Sheet, status: str, purpose: Purpose, number: int,
                      values: tuple[Any, ...]) -> RowResult:
        def cell(name: str) -> Any:
            index = mailchimp.column(sheet, name)
            return values[index] if index is not None and index < len(values) else None

        def when(name: str) -> Any:
            try:
                return read_when(cell(name), self.tz, naive_zone=UTC)
            except CellError as exc:
                raise _RowError(name, str(exc)) from None

        def text(name: str, limit: int) -> str | None:
            try:
                return read_text(cell(name), limit)
            except CellError as exc:
                raise _RowError(name, str(exc)) from None

        result = RowResult(sheet.name, number, None)
        email = self.address(cell("Email Address"), "Email Address")
        result.email = email
        reason = self.suppressed(email)
        if reason:
            result.status = "skipped"
            result.changes.append(f"skipped: the address is suppressed ({reason})")
            return result
        contact = self.contact(email, result, first_name=text("First Name", 128),
                               last_name=text("Last Name", 128),
                               phone=text("Phone Number", 64))
        self.tag(contact, mailchimp.split_tags(cell("TAGS")), result)
        detail = f"Mailchimp audience {mailchimp.audience_id(sheet) or sheet.name}"[:255]
        given = when("CONFIRM_TIME") or when("OPTIN_TIME")
        ip = text("CONFIRM_IP", 64) or text("OPTIN_IP", 64)
        try:
            if status == "cleaned":
                mark_before = deliverability.active_mark(email)
                deliverability.mark_undeliverable(
                    self.ctx, email, reason="cleaned", source="mailchimp",
                    detail=detail, at=when("CLEAN_TIME"))
                if mark_before is None:
                    result.changes.append("mark the address undeliverable (cleaned)")
                    if result.status != "created":
                        result.status = "updated"
                return result
            consent = consent_logic.find_consent(contact, purpose)
            existed = consent is not None
            if given is not None and (consent is None or consent.state != ConsentState.GRANTED
                                      or consent.given_at < given):
                unsub = when("UNSUB_TIME") if status == "unsubscribed" else None
                newer = consent is not None and any(
                    m is not None and m >= given
                    for m in (consent.withdrawn_at, consent.refused_at, consent.given_at))
                if not newer and (unsub is None or given <= unsub):
                    before = self.signature(contact, purpose)
                    consent_logic.grant(self.ctx, contact, purpose, given_at=given,
                                        source="mailchimp", source_detail=detail, ip=ip,
                                        use_default=False)
                    self.changed(result, before, self.signature(contact, purpose),
                                 f"grant {purpose.code} given {self.when_text(given)}",
                                 created=not existed)
            if status == "unsubscribed":
                self.unsubscribe(contact, purpose, when("UNSUB_TIME"),
                                 text("UNSUB_REASON", 255), result)
        except ConsentInputError as exc:
            raise _RowError(exc.field, exc.message) from None
        return result

    def unsubscribe(self, contact: Contact, purpose: Purpose, at: Any, reason: str | None,
                    result: RowResult) -> None:
        if at is None:
            raise _RowError("UNSUB_TIME", "the unsubscribe time is empty.")
        consent = consent_logic.find_consent(contact, purpose)
        before = self.signature(contact, purpose)
        if consent is None:
            consent_logic.refuse(self.ctx, contact, purpose, refused_at=at, source="mailchimp",
                                 reason=reason)
            self.changed(result, before, self.signature(contact, purpose),
                         f"record refusal of {purpose.code}", created=True)
            return
        state = current_state(consent, self.ctx.at)
        if state not in (ConsentState.GRANTED, ConsentState.PENDING):
            return  # withdrawn, refused or expired already: nothing to withdraw
        if consent.given_at is not None and at < consent.given_at:
            return  # an older unsubscribe never undoes a newer consent
        consent_logic.withdraw(self.ctx, consent, withdrawn_at=at, reason=reason,
                               source="mailchimp")
        self.changed(result, before, self.signature(contact, purpose),
                     f"withdraw {purpose.code} at {self.when_text(at)}", created=False)

    def tag(self, contact: Contact, names: list[str], result: RowResult) -> None:
        have = {t.name for t in contact.tags}
        for name in names:
            name = name[:64]
            if name in have:
                continue
            tag = db.session.scalar(select(Tag).where(Tag.name == name))
            if tag is None:
                tag = Tag(name=name, tenant_id=self.ctx.tenant_id)
                db.session.add(tag)
            contact.tags.append(tag)
            have.add(name)
            result.changes.append(f"tag {name}")
            if result.status == "unchanged":
                result.status = "updated"


def _options(mapping_name: str | None, purpose_code: str | None, date_format: str | None,
             chosen: dict[str, str] | None = None) -> _Options:
    columns: dict[str, str] = {}
    stored: dict[str, Any] = {}
    if mapping_name:
        saved = load_mapping(mapping_name)
        columns, stored = dict(saved.columns or {}), dict(saved.options or {})
    columns.update({k: v for k, v in (chosen or {}).items() if v})
    code = purpose_code or stored.get("purpose")
    purpose = None
    if code:
        purpose = find_purpose(code)
        if purpose is None:
            raise ConsentInputError("purpose", f"'{code}' is not a purpose of this tenant; "
                                    "list them with 'crm purposes list'.")
    return _Options(purpose, columns,
                    check_date_format(date_format or stored.get("date_format") or "auto"))


def _chunks(rows: Iterable[Any], size: int) -> Iterator[list[Any]]:
    iterator = iter(rows)
    while chunk := list(islice(iterator, size)):
        yield chunk


def run_import(
    ctx: EventContext,
    file_name: str,
    data: bytes,
    *,
    dry_run: bool = False,
    mapping: str | None = None,
    purpose: str | None = None,
    date_format: str | None = None,
    limits: Limits | None = None,
    progress: Callable[[int], None] | None = None,
    columns: dict[str, str] | None = None,
) -> ImportReport:
    """Import consents from the file `file_name` (content `data`) for `ctx.tenant` (in
    scope). All rows or none: with any row in error, or with `dry_run`, nothing is kept.
    Raises ImportRefused for a file that cannot be read as a whole and ConsentInputError
    for a bad option (unknown mapping or purpose). `columns` ({field: header}, chosen on
    upload) add to or override the saved `mapping`."""
    options = _options(mapping, purpose, date_format, columns)
    try:
        sheets = read_file(file_name, data, limits)
    except FileRefused as exc:
        raise ImportRefused(str(exc)) from None
    report = ImportReport(file_name, dry_run)
    run = _Run(ctx, report, options)
    plans = []
    for sheet in sheets:
        if mailchimp.is_audience_export(sheet):
            audience = mailchimp.audience_id(sheet)
            target = options.purpose or mapped_purpose("mailchimp", audience)
            if target is None:
                raise ConsentInputError(
                    "purpose", f"{sheet.name}: no purpose is mapped to the Mailchimp audience "
                    f"'{audience}'; give --purpose CODE or map it with 'crm webhooks add "
                    f"mailchimp --tenant {ctx.tenant.slug if ctx.tenant else 'SLUG'} "
                    f"--purpose CODE --list {audience}'.")
            if mailchimp.NOTE_UTC not in report.notes:
                report.notes.append(mailchimp.NOTE_UTC)
            plans.append((sheet, "mailchimp", (mailchimp.status_of(sheet), target)))
            continue
        columns, problems = match_headers(sheet.headers, options.columns)
        if problems:
            raise ImportRefused(f"{sheet.name}: " + " ".join(problems))
        if "email" not in columns:
            raise ImportRefused(f"{sheet.name}: no e-mail column was found (headers: "
                                f"{', '.join(h for h in sheet.headers if h)}); name it Email "
                                "or E-pošta, or choose a mapping.")
        plans.append((sheet, "sheet", columns))
    done = 0
    try:
        for sheet, kind, extra in plans:
            if kind == "sheet":
                for chunk in _chunks(sheet.rows, CHUNK_ROWS):
                    report.rows.extend(run.sheet_chunk(sheet, extra, chunk))
                    done += len(chunk)
                    if progress is not None:
                        progress(len(chunk))
                continue
            status, target = extra
            for number, values in sheet.rows:
                try:
                    row = run.mailchimp_row(sheet, status, target, number, values)
                except _RowError as exc:
                    row = RowResult(sheet.name, number, None, "rejected", errors=[str(exc)])
                report.rows.append(row)
                done += 1
                if progress is not None:
                    progress(1)
        if dry_run or report.count("rejected"):
            db.session.rollback()
        else:
            db.session.commit()
            report.committed = True
    except SQLAlchemyError as exc:
        db.session.rollback()
        raise ImportRefused(f"{file_name}: the import was rolled back after row {done} "
                            f"({type(exc).__name__}); nothing was stored.") from None
    except BaseException:
        db.session.rollback()
        raise
    what = "consents" + (" (dry run)" if dry_run else "")
    if report.committed or dry_run:
        emit("crm_records_imported", ctx, what=what, file_name=file_name,
             rows_read=len(report.rows), created=report.count("created"),
             updated=report.count("updated"), rejected=report.count("rejected"))
        if dry_run:
            db.session.rollback()
        else:
            db.session.commit()
    return report
