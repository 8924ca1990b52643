"""Finding one of the tenant's rows by an id typed in a URL, form or command."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from core.db import db
from core.ids import parse_id
from plugins.gdpr_consents.errors import ConsentInputError


def tenant_row(model: type, raw_id: Any, field: str) -> Any:
    """Return the live row of `model` with the id `raw_id` for the tenant in scope; another
    tenant's row, a trashed one or a missing one raise ConsentInputError (404) naming
    `field`, text that is not a number raises it with 400."""
    try:
        number = int(raw_id)
    except (TypeError, ValueError):
        raise ConsentInputError(field, f"'{raw_id}' is not a {field} id.") from None
    key = parse_id(number, model.__table__.c.id)  # beyond the column: names no row
    row = None if key is None else db.session.scalar(select(model).where(model.id == key))
    if row is None:
        raise ConsentInputError(field, f"there is no {field} #{number}.", status=404)
    return row
