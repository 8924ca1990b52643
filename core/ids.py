"""Record ids and page numbers from outside (a URL, a form, a query string, a command line).

A key column holds whole numbers in a bounded range (PostgreSQL's INTEGER to 2**31 - 1,
BIGINT and SQLite's to 2**63 - 1). A larger number names no record: it is parsed here to
"none" (404) instead of overflowing the database driver (a 500). The app's `int` URL
converter is `RecordIdConverter`, so every `<int:...>` route argument is bounded too.
"""

from __future__ import annotations

from typing import Any

import click
from sqlalchemy import BigInteger
from werkzeug.routing import IntegerConverter

MAX_ID = 2**31 - 1
"""The largest id of an INTEGER key column (the narrowest the tables use)."""

MAX_BIG_ID = 2**63 - 1
"""The largest id of a BIGINT key column."""

MAX_PAGE = 10**6
"""The largest page number a list answers (with an empty page when there are fewer)."""



def max_id(column: Any = None) -> int:
    """The largest id `column` (a SQLAlchemy column; None for INTEGER) can hold."""
    return MAX_BIG_ID if column is not None and isinstance(column.type, BigInteger) else MAX_ID


def parse_id(raw: Any, column: Any = None) -> int | None:
    """The record id in `raw` (text or a number), or None when it is not a whole number
    from 1 to the largest id of `column` (see `max_id`)."""
    if raw is None or isinstance(raw, bool):
        return None
    try:
        number = int(str(raw).strip())
    except (TypeError, ValueError):
        return None
    return number if 1 <= number <= max_id(column) else None


def parse_page(raw: Any) -> int:
    """The page number in `raw` (a query argument): 0 for a missing, negative or unreadable
    one, at most `MAX_PAGE`."""
    try:
        number = int(str(raw).strip()) if raw is not None else 0
    except (TypeError, ValueError):
        return 0
    return min(max(number, 0), MAX_PAGE)


class RecordIdType(click.ParamType):
    """The click type of a record id argument or option of a `crm` command: a whole number
    from 1 to `MAX_ID`, else a usage error (exit 2) that says so."""

    name = "integer"

    def convert(self, value: Any, param: Any, ctx: Any) -> int:
        """The id in `value`, or fail naming the parameter."""
        number = parse_id(value)
        if number is None:
            self.fail(f"{value!r} is not a valid integer (an id from 1 to {MAX_ID}).",
                      param, ctx)
        return number


RECORD_ID = RecordIdType()
"""The click type of a record id argument or option of a `crm` command."""


class RecordIdConverter(IntegerConverter):
    """The `int` URL converter: a whole number from 1 to `MAX_ID` (as `parse_id`), else the
    URL does not match (404)."""

    def __init__(self, url_map: Any, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("min", 1)
        kwargs.setdefault("max", MAX_ID)
        super().__init__(url_map, *args, **kwargs)
