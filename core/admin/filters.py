"""List filters of the CRM pages: by company, tag, owner and date.

Option lists are read when a page is shown (the tenant's own companies, tags and users),
never when the view is built: `TenantOptions` is iterated per request.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import date, timedelta
from typing import Any

from flask_admin.contrib.sqla.filters import BaseSQLAFilter, IntEqualFilter
from flask_admin.model.filters import BaseFilter
from sqlalchemy import select

from core.db import db
from core.ids import parse_id
from core.models import Company, Tag, User

from .localtime import day_start


class TenantOptions:
    """A filter's options, queried in the current request (so in the tenant's scope)."""

    def __init__(self, query: Callable[[], list[tuple[Any, str]]]) -> None:
        self._query = query

    def __bool__(self) -> bool:
        return True

    def __iter__(self) -> Iterator[tuple[Any, str]]:
        return iter(self._query())


def company_options() -> list[tuple[int, str]]:
    """(id, name) of the tenant's companies."""
    return [(c.id, c.name) for c in db.session.scalars(select(Company).order_by(Company.name))]


def tag_options() -> list[tuple[int, str]]:
    """(id, name) of the tenant's tags."""
    return [(t.id, t.name) for t in db.session.scalars(select(Tag).order_by(Tag.name))]


def owner_options() -> list[tuple[int, str]]:
    """(id, e-mail) of the tenant's users."""
    return [(u.id, u.email) for u in db.session.scalars(select(User).order_by(User.email))]


def by_company(column: Any) -> BaseFilter:
    """Rows whose company is the chosen one."""
    return IntEqualFilter(column, "Company", options=TenantOptions(company_options))


def by_owner(column: Any) -> BaseFilter:
    """Rows whose owner is the chosen user."""
    return IntEqualFilter(column, "Owner", options=TenantOptions(owner_options))


class TagFilter(BaseSQLAFilter):
    """Contacts that carry the chosen tag."""

    def __init__(self, id_column: Any, relationship: Any) -> None:
        super().__init__(id_column, "Tag", options=TenantOptions(tag_options))
        self.relationship = relationship

    def clean(self, value: str) -> int:
        """The tag id (ValueError for text that names no tag, so the filter is left out)."""
        number = parse_id(value)
        if number is None:
            raise ValueError(f"{value!r} is not a tag id")
        return number

    def apply(self, query: Any, value: int, alias: Any = None) -> Any:
        """Keep rows with the tag (EXISTS, so a row is listed once)."""
        return query.filter(self.relationship.any(Tag.id == value))

    def operation(self) -> str:
        """Label of the operation."""
        return "is"


class DayFilter(BaseSQLAFilter):
    """Rows dated on, after or before a day (days start at 00:00 in the tenant's zone)."""

    def __init__(self, column: Any, name: str, mode: str) -> None:
        super().__init__(column, name, data_type="datepicker")
        self.mode = mode

    def clean(self, value: str) -> date:
        """The typed day (ValueError: not a YYYY-MM-DD date, or out of the clock's range)."""
        day = date.fromisoformat(value.strip())
        day_start(day)
        if self.mode == "on":
            day_start(day + timedelta(days=1))
        return day

    def apply(self, query: Any, value: date, alias: Any = None) -> Any:
        """Filter the column against the day's local start and end (DST-safe)."""
        column = self.get_column(alias)
        start = day_start(value)
        if self.mode == "from":
            return query.filter(column >= start)
        if self.mode == "before":
            return query.filter(column < start)
        return query.filter(column >= start, column < day_start(value + timedelta(days=1)))

    def operation(self) -> str:
        """Label of the operation."""
        return {"from": "on or after", "before": "before"}.get(self.mode, "on")


def by_day(column: Any, name: str) -> list[BaseFilter]:
    """The three day filters of a date-time column."""
    return [DayFilter(column, name, mode) for mode in ("on", "from", "before")]
