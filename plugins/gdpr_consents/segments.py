"""Segments: the contacts a tenant may write to for one or more purposes, as of an instant.

A contact is in the segment when, at `as_of`, it holds a valid consent (`validity.py`) to
the purposes (all of them, or any with `match_all=False`), its address is not marked
undeliverable, it is not in the trash (the core's central filter), it is not a role
address (unless asked: role addresses need no consent, but a withdrawal or refusal still
keeps them out), and it passes the optional company, tag and named filters (the
`crm_segment_filters` hook).

Everything is one set-based query over the covering index `ix_gdpr_consents_consent_segment`,
so counting, paging and exporting stay fast on hundreds of thousands of contacts. The same
condition comes in two shapes: for a count or an export (every member) the consents are an
uncorrelated `IN (SELECT contact_id ...)`, computed once; for a page (the first 50 by name)
a correlated `EXISTS`, probed per contact until the page is full. On SQLite the first is
six times faster for a count, the second two hundred times faster for a page. The export
streams rows into the core's one CSV/XLSX writer and reports itself through
`crm_records_exported`.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, Select, and_, exists, func, not_, or_, select, true
from sqlalchemy.orm import aliased, selectinload

from core.clock import parse_as_of
from core.db import db
from core.events import EventContext, emit
from core.ids import parse_id
from core.models import Company, Contact, Tag
from core.spreadsheets import Sheet, write_csv, write_xlsx
from plugins.gdpr_consents.consents import tenant_zone
from plugins.gdpr_consents.email_classes import EmailRules, rules_for
from plugins.gdpr_consents.errors import ConsentInputError
from plugins.gdpr_consents.lookup import tenant_row
from plugins.gdpr_consents.models import Consent, Purpose, Segment, Undeliverable
from plugins.gdpr_consents.purposes import get_purpose
from plugins.gdpr_consents.validity import objected_at_clause, valid_at_clause

PAGE_SIZE = 50
FORMATS = ("csv", "xlsx")
YIELD_PER = 2000


@dataclass(frozen=True)
class SegmentSpec:
    """What a segment asks: the purposes (codes), the instant, and the options."""

    purposes: tuple[str, ...]
    as_of: datetime
    match_all: bool = True
    include_role_addresses: bool = False
    company_id: int | None = None
    tag_id: int | None = None
    filters: tuple[str, ...] = ()
    purpose_rows: tuple[Purpose, ...] = field(default=(), compare=False, repr=False)

    def details(self) -> dict[str, Any]:
        """The options as JSON-ready data (for the export report)."""
        return {
            "purposes": list(self.purposes),
            "as_of": self.as_of.isoformat(),
            "match": "all" if self.match_all else "any",
            "include_role_addresses": self.include_role_addresses,
            "company_id": self.company_id,
            "tag_id": self.tag_id,
            "filters": list(self.filters),
        }


def build_spec(
    ctx: EventContext,
    purposes: Any,
    *,
    as_of: Any = None,
    match_all: bool = True,
    include_role_addresses: bool = False,
    company: Any = None,
    tag: Any = None,
    filters: Any = (),
) -> SegmentSpec:
    """Check the options against the tenant's data and return a SegmentSpec.

    `purposes` is a code, a comma list or a list of codes; `as_of` an aware datetime or
    text (`YYYY-MM-DD` = the start of that day in the tenant's zone; default now);
    `company` a company id; `tag` a tag id or name; `filters` keys of named filters.
    Raises ConsentInputError naming the option at fault.
    """
    codes = _codes(purposes)
    if not codes:
        raise ConsentInputError("purposes", "choose at least one purpose.")
    rows = tuple(get_purpose(code, "purposes") for code in codes)
    moment = ctx.at
    if isinstance(as_of, datetime):
        if as_of.utcoffset() is None:
            raise ConsentInputError("as_of", "the instant needs a time zone.")
        moment = as_of
    elif as_of is not None and str(as_of).strip():
        try:
            moment = parse_as_of(str(as_of), tenant_zone(ctx))
        except ValueError as exc:
            raise ConsentInputError("as_of", str(exc)) from None
    company_id = _company_id(company)
    tag_id = _tag_id(tag)
    wanted = tuple(dict.fromkeys(str(f).strip() for f in (filters or ()) if str(f).strip()))
    known = named_filters(ctx)
    for key in wanted:
        if key not in known:
            raise ConsentInputError(
                "filters", f"there is no segment filter '{key}' (known: "
                f"{', '.join(sorted(known)) or 'none'})."
            )
    return SegmentSpec(
        purposes=tuple(p.code for p in rows), as_of=moment, match_all=match_all,
        include_role_addresses=include_role_addresses, company_id=company_id, tag_id=tag_id,
        filters=wanted, purpose_rows=rows,
    )


def _codes(purposes: Any) -> list[str]:
    if purposes is None:
        return []
    items = purposes.split(",") if isinstance(purposes, str) else list(purposes)
    return list(dict.fromkeys(str(item).strip().lower() for item in items if str(item).strip()))


def _company_id(company: Any) -> int | None:
    if company is None or str(company).strip() == "":
        return None
    try:
        number = int(company)
    except (TypeError, ValueError):
        raise ConsentInputError("company", f"'{company}' is not a company id.") from None
    key = parse_id(number)  # beyond the column: names no company
    if key is None or db.session.scalar(select(Company.id).where(Company.id == key)) is None:
        raise ConsentInputError("company", f"there is no company #{number}.")
    return number


def _tag_id(tag: Any) -> int | None:
    if tag is None or str(tag).strip() == "":
        return None
    text = str(tag).strip()
    query = select(Tag.id).where(Tag.id == int(text)) if text.isdigit() else (
        select(Tag.id).where(Tag.name == text)
    )
    found = db.session.scalar(query)
    if found is None:
        raise ConsentInputError("tag", f"there is no tag '{text}'.")
    return found


def named_filters(ctx: EventContext) -> dict[str, dict[str, Any]]:
    """Return the named segment filters other plugins offer ({key: {key, label, where}})."""
    found: dict[str, dict[str, Any]] = {}
    for contributed in emit("crm_segment_filters", ctx):
        for item in contributed or []:
            key = str(item.get("key", "")).strip()
            if not key or key in found or not callable(item.get("where")):
                raise ValueError(f"segment filter '{key}' is missing, repeated or has no where")
            found[key] = {"key": key, "label": str(item.get("label") or key),
                          "where": item["where"]}
    return found


# --- the query ----------------------------------------------------------------------------


def _consents_where(purpose_ids: list[int], condition: ColumnElement[bool], per_row: bool,
                    consent: Any) -> ColumnElement[bool]:
    """"The contact holds a consent to one of `purpose_ids` meeting `condition`", as a
    correlated EXISTS (`per_row`) or as an uncorrelated IN over the contact ids."""
    purpose = consent.purpose_id == purpose_ids[0] if len(purpose_ids) == 1 else (
        consent.purpose_id.in_(purpose_ids)
    )
    if per_row:
        return exists().where(consent.contact_id == Contact.id, purpose, condition)
    return Contact.id.in_(select(consent.contact_id).where(purpose, condition))


def _valid_consent(purpose_ids: list[int], moment: datetime, per_row: bool
                   ) -> ColumnElement[bool]:
    consent = aliased(Consent)
    return _consents_where(purpose_ids, valid_at_clause(moment, consent), per_row, consent)


def _has_consents(spec: SegmentSpec, ids: list[int], per_row: bool) -> ColumnElement[bool]:
    if spec.match_all:
        return and_(*(_valid_consent([pid], spec.as_of, per_row) for pid in ids))
    return _valid_consent(ids, spec.as_of, per_row)


def _objected(ids: list[int], moment: datetime, per_row: bool) -> ColumnElement[bool]:
    consent = aliased(Consent)
    return _consents_where(ids, objected_at_clause(moment, consent), per_row, consent)


def deliverable_clause() -> ColumnElement[bool]:
    """SQL: the contact's address carries no active undeliverable mark."""
    return Contact.email.not_in(
        select(Undeliverable.email).where(Undeliverable.cleared_at.is_(None))
    )


def segment_condition(ctx: EventContext, spec: SegmentSpec, rules: EmailRules | None = None,
                      *, per_row: bool = False) -> ColumnElement[bool]:
    """Return the WHERE condition over `Contact` for the segment (tenant and trash are
    filtered centrally). `per_row=True` gives the correlated shape, for pages."""
    rules = rules or rules_for(ctx.tenant_id)
    ids = [p.id for p in spec.purpose_rows] or [
        get_purpose(code, "purposes").id for code in spec.purposes
    ]
    consented = _has_consents(spec, ids, per_row)
    role = rules.role_clause(Contact.email)
    if spec.include_role_addresses:
        audience = or_(consented, and_(role, not_(_objected(ids, spec.as_of, per_row))))
    else:
        audience = and_(consented, not_(role))
    conditions = [Contact.email.is_not(None), audience, deliverable_clause()]
    if spec.company_id is not None:
        conditions.append(Contact.company_id == spec.company_id)
    if spec.tag_id is not None:
        conditions.append(Contact.tags.any(Tag.id == spec.tag_id))
    if spec.filters:
        known = named_filters(ctx)
        conditions.extend(known[key]["where"](Contact) for key in spec.filters)
    return and_(true(), *conditions)


def contacts_query(ctx: EventContext, spec: SegmentSpec, *, per_row: bool = True
                   ) -> Select[Any]:
    """Return `select(Contact)` of the segment, ordered by name and id (the shape for
    reading a page; `per_row=False` for reading them all)."""
    return (
        select(Contact)
        .where(segment_condition(ctx, spec, per_row=per_row))
        .order_by(Contact.last_name, Contact.first_name, Contact.id)
    )


def count(ctx: EventContext, spec: SegmentSpec) -> int:
    """Return how many contacts are in the segment."""
    query = select(func.count()).select_from(Contact).where(segment_condition(ctx, spec))
    return int(db.session.scalar(query) or 0)


def page(ctx: EventContext, spec: SegmentSpec, number: int = 0, size: int = PAGE_SIZE
         ) -> list[Contact]:
    """Return page `number` (0-based) of the segment's contacts, `size` per page."""
    query = contacts_query(ctx, spec).options(selectinload(Contact.company))
    return list(db.session.scalars(query.limit(size).offset(max(number, 0) * size)))


# --- export -------------------------------------------------------------------------------


def export_header(spec: SegmentSpec) -> list[str]:
    """The export's column names: the person, then given and expiry time per purpose."""
    header = ["email", "first_name", "last_name", "company", "email_class"]
    for purpose in spec.purpose_rows:
        header += [f"{purpose.name} ({purpose.code}): given at",
                   f"{purpose.name} ({purpose.code}): expires at"]
    return header


def export_rows(ctx: EventContext, spec: SegmentSpec) -> Iterator[tuple[Any, ...]]:
    """Yield the export's rows (one per contact, in name order), streamed from the
    database in batches so memory stays flat however large the segment is."""
    rules = rules_for(ctx.tenant_id)
    # at most one live consent per contact and purpose (a unique index): no duplicates
    joins = [(purpose, aliased(Consent)) for purpose in spec.purpose_rows]
    columns: list[Any] = [Contact.email, Contact.first_name, Contact.last_name, Company.name]
    for _purpose, consent in joins:
        columns += [consent.given_at, consent.expires_at]
    query = select(*columns).select_from(Contact).outerjoin(
        Company, Company.id == Contact.company_id)
    for purpose, consent in joins:
        query = query.outerjoin(consent, and_(
            consent.contact_id == Contact.id, consent.purpose_id == purpose.id,
            valid_at_clause(spec.as_of, consent)))
    query = (
        query.where(segment_condition(ctx, spec, rules))
        .order_by(Contact.last_name, Contact.first_name, Contact.id)
        .execution_options(yield_per=YIELD_PER)
    )
    for row in db.session.execute(query):
        email, first, last, company, *times = row
        yield (email, first, last, company, rules.classify(email).value, *times)


def export(ctx: EventContext, spec: SegmentSpec, file_format: str, target: Any) -> int:
    """Write the segment to `target` (a path or binary stream) as CSV or XLSX through the
    core's writer, report it through `crm_records_exported` and return the row count."""
    fmt = (file_format or "").strip().lower()
    if fmt not in FORMATS:
        raise ConsentInputError("format", f"'{file_format}' is not csv or xlsx.")
    tz = tenant_zone(ctx)
    header = export_header(spec)
    rows = export_rows(ctx, spec)
    if fmt == "csv":
        written = write_csv(target, header, rows, tz=tz)
    else:
        title = "Segment " + "+".join(spec.purposes)
        written = write_xlsx(target, [Sheet(title=title, header=header, rows=rows)], tz=tz)
    emit("crm_records_exported", ctx, what=f"segment {'+'.join(spec.purposes)}",
         file_format=fmt, subject=None, rows=written, details=spec.details())
    return written


# --- saved segments -----------------------------------------------------------------------


def save_segment(ctx: EventContext, name: str, spec: SegmentSpec) -> Segment:
    """Save `spec` (without its instant: a saved segment is evaluated when it is used)
    under `name` for the tenant in scope (not committed)."""
    name = (name or "").strip()
    if not name:
        raise ConsentInputError("name", "a saved segment needs a name.")
    longest = Segment.__table__.c.name.type.length
    if len(name) > longest:
        raise ConsentInputError("name", f"at most {longest} characters (this name has "
                                        f"{len(name)}).")
    if db.session.scalar(select(Segment.id).where(Segment.name == name)) is not None:
        raise ConsentInputError("name", f"a segment '{name}' exists already.")
    segment = Segment(
        name=name, purposes=list(spec.purposes), match_all=spec.match_all,
        include_role_addresses=spec.include_role_addresses, company_id=spec.company_id,
        tag_id=spec.tag_id, filters=list(spec.filters), created_by=ctx.actor,
    )
    db.session.add(segment)
    db.session.flush()
    return segment


def list_segments() -> list[Segment]:
    """Return the tenant's saved segments by name."""
    return list(db.session.scalars(select(Segment).order_by(Segment.name)))


def get_segment(segment_id: Any) -> Segment:
    """Return the tenant's saved segment with this id (another tenant's is not found)."""
    return tenant_row(Segment, segment_id, "segment")


def spec_of(ctx: EventContext, segment: Segment, as_of: Any = None) -> SegmentSpec:
    """Return the SegmentSpec of a saved segment as of `as_of` (default now)."""
    return build_spec(
        ctx, segment.purposes, as_of=as_of, match_all=segment.match_all,
        include_role_addresses=segment.include_role_addresses, company=segment.company_id,
        tag=segment.tag_id, filters=segment.filters or (),
    )


# --- personal contacts without marketing consent ------------------------------------------


def unconsented_personal_query(ctx: EventContext, moment: datetime | None = None, *,
                               per_row: bool = True) -> Select[Any]:
    """Return `select(Contact)` of personal (not role) addresses that hold no valid consent
    to any active marketing purpose that needs consent, at `moment` (default now); the
    shape for a page (`per_row=False` for a count)."""
    moment = moment or ctx.at
    rules = rules_for(ctx.tenant_id)
    ids = list(db.session.scalars(
        select(Purpose.id).where(Purpose.marketing.is_(True), Purpose.active.is_(True),
                                 Purpose.legal_basis == "consent")
    ))
    condition = [Contact.email.is_not(None), not_(rules.role_clause(Contact.email))]
    if ids:
        condition.append(not_(_valid_consent(ids, moment, per_row)))
    return select(Contact).where(*condition).order_by(
        Contact.last_name, Contact.first_name, Contact.id
    )
