"""Purposes: what a tenant processes personal data for, with the legal basis of each.

Functions work on the tenant in scope (`core.scoping.tenant_scope`) and never commit.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select

from core.db import db
from plugins.gdpr_consents.errors import ConsentInputError
from plugins.gdpr_consents.lookup import tenant_row
from plugins.gdpr_consents.models import LegalBasis, Purpose

CODE_RE = re.compile(r"^[a-z0-9][a-z0-9_-]{0,63}$")
MAX_MONTHS = 1200


@dataclass(frozen=True)
class DefaultPurpose:
    """A purpose every tenant starts with when it enables the plugin."""

    code: str
    name: str
    description: str
    default_months: int | None
    marketing: bool = True
    legal_basis: LegalBasis = LegalBasis.CONSENT


DEFAULT_PURPOSES = (
    DefaultPurpose("newsletter", "Newsletter",
                   "Our e-mail newsletter with news and offers.", 24),
    DefaultPurpose("events", "Events and invitations",
                   "Invitations to events, fairs and webinars.", 24),
    DefaultPurpose("sms", "SMS notices", "Short text messages about offers and events.", 12),
)


def parse_months(raw: Any, field: str = "duration_months") -> int | None:
    """Return a duration in whole months (None for empty), or raise ConsentInputError
    naming `field` for anything that is not a whole number from 1 to 1200."""
    if raw is None or (isinstance(raw, str) and not raw.strip()):
        return None
    if isinstance(raw, bool):
        raise ConsentInputError(field, f"'{raw}' is not a whole number of months.")
    if isinstance(raw, int):
        months = raw
    elif isinstance(raw, float) and raw.is_integer():
        months = int(raw)
    else:
        text = str(raw).strip()
        if not re.fullmatch(r"[+]?\d+", text):
            raise ConsentInputError(
                field, f"'{raw}' is not a whole number of months; give e.g. 12 or 24."
            )
        months = int(text)
    if not 1 <= months <= MAX_MONTHS:
        raise ConsentInputError(field, f"the duration must be 1 to {MAX_MONTHS} months.")
    return months


def parse_basis(raw: Any) -> LegalBasis:
    """Return the LegalBasis named by `raw` or raise ConsentInputError for `legal_basis`."""
    try:
        return LegalBasis(str(raw or "consent").strip().lower())
    except ValueError:
        choices = ", ".join(b.value for b in LegalBasis)
        raise ConsentInputError(
            "legal_basis", f"'{raw}' is not a legal basis; use one of {choices}."
        ) from None


def create_purpose(
    code: str,
    name: str,
    *,
    description: str | None = None,
    legal_basis: Any = LegalBasis.CONSENT,
    default_months: Any = None,
    marketing: bool = False,
    active: bool = True,
) -> Purpose:
    """Add a purpose to the tenant in scope (not committed); raise ConsentInputError for a
    bad or taken code, an empty name, an unknown basis or a bad number of months."""
    purpose = Purpose(
        code=code, name=name, description=description, legal_basis=parse_basis(legal_basis),
        default_months=parse_months(default_months, "default_months"),
        marketing=bool(marketing), active=active,
    )
    validate_purpose(purpose)
    db.session.add(purpose)
    db.session.flush()
    return purpose


def validate_purpose(purpose: Purpose) -> None:
    """Normalize and check a new or edited purpose (code, name, basis, months, a code not
    taken by another purpose of the tenant); raise ConsentInputError naming the field."""
    purpose.code = (purpose.code or "").strip().lower()
    if not CODE_RE.match(purpose.code):
        raise ConsentInputError(
            "code", f"'{purpose.code}' is not a purpose code; use lower-case letters, digits, "
            "'-' and '_' (e.g. newsletter)."
        )
    purpose.name = (purpose.name or "").strip()
    if not purpose.name:
        raise ConsentInputError("name", "a purpose needs a name.")
    purpose.description = (purpose.description or "").strip() or None
    purpose.legal_basis = parse_basis(purpose.legal_basis or LegalBasis.CONSENT)
    purpose.default_months = parse_months(purpose.default_months, "default_months")
    with db.session.no_autoflush:
        clash = db.session.scalar(select(Purpose.id).where(
            Purpose.code == purpose.code, Purpose.id != (purpose.id or 0)))
    if clash is not None:
        raise ConsentInputError("code", f"a purpose '{purpose.code}' exists already.")


def find_purpose(code: str) -> Purpose | None:
    """Return the tenant's purpose with `code`, or None."""
    return db.session.scalar(select(Purpose).where(Purpose.code == (code or "").strip().lower()))


def unknown_purpose_code(code: str) -> str | None:
    """The problem with `code` as a setting naming one of the tenant's purposes (the
    `purpose_code` setting kind), or None when the tenant has that purpose."""
    if find_purpose(code) is not None:
        return None
    known = ", ".join(p.code for p in list_purposes()) or "none yet"
    return f"there is no purpose '{code}' (known: {known})"


def get_purpose(code: str | None, field: str = "purpose") -> Purpose:
    """Return the tenant's purpose with `code` or raise ConsentInputError naming `field`
    (400: a code typed in a form, filter or option is bad input, not a missing page)."""
    if code is None or not str(code).strip():
        raise ConsentInputError(field, "choose the purpose the consent is for.")
    purpose = find_purpose(str(code))
    if purpose is None:
        known = ", ".join(p.code for p in list_purposes()) or "none yet"
        raise ConsentInputError(
            field, f"there is no purpose '{code}' (known: {known}); add it with "
            "'crm purposes add'.",
        )
    return purpose


def get_purpose_by_id(purpose_id: Any, field: str = "purpose") -> Purpose:
    """Return the tenant's purpose with id `purpose_id` (another tenant's is not found)."""
    return tenant_row(Purpose, purpose_id, field)


def list_purposes(active_only: bool = False) -> list[Purpose]:
    """Return the tenant's purposes ordered by code."""
    query = select(Purpose).order_by(Purpose.code)
    if active_only:
        query = query.where(Purpose.active.is_(True))
    return list(db.session.scalars(query))


def ensure_default_purposes() -> list[Purpose]:
    """Create the default purposes (newsletter, events, sms) when the tenant in scope has
    no purpose yet; return the purposes created (none when it had some)."""
    if db.session.scalar(select(Purpose.id).limit(1)) is not None:
        return []
    created = []
    for default in DEFAULT_PURPOSES:
        created.append(create_purpose(
            default.code, default.name, description=default.description,
            legal_basis=default.legal_basis, default_months=default.default_months,
            marketing=default.marketing,
        ))
    return created


def purpose_dict(purpose: Purpose) -> dict[str, Any]:
    """Return a purpose as JSON-ready data."""
    return {
        "code": purpose.code,
        "name": purpose.name,
        "description": purpose.description,
        "legal_basis": purpose.legal_basis.value,
        "article": purpose.legal_basis.article,
        "needs_consent": purpose.needs_consent,
        "default_months": purpose.default_months,
        "marketing": purpose.marketing,
        "active": purpose.active,
    }
