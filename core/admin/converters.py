"""Teach Flask-Admin the project's column types (text and time type decorators).

Flask-Admin picks form fields and list filters by the column type's class name, and does
not know `SafeString`/`SafeText` (text that is sanitized) or `UTCDateTime` (aware UTC
times). Text columns get the fields and filters of their underlying type; time columns get
a field typed in the tenant's time zone and day filters (the stock ones would write naive
times, which the column refuses).
"""

from __future__ import annotations

from typing import Any

from flask_admin.contrib.sqla.filters import FilterConverter
from flask_admin.contrib.sqla.form import AdminModelConverter
from sqlalchemy.types import TypeDecorator

from core.db import UTCDateTime

from .filters import by_day
from .localtime import LocalDateTimeField


class CrmModelConverter(AdminModelConverter):
    """Form fields for the project's column types."""

    def get_converter(self, column: Any) -> Any:
        """The field maker of `column`'s type; type decorators use their underlying type."""
        if isinstance(column.type, UTCDateTime):
            return _local_datetime_field
        found = super().get_converter(column)
        if found is None and isinstance(column.type, TypeDecorator):
            found = super().get_converter(_Typed(column.type.impl_instance))
        return found


class CrmFilterConverter(FilterConverter):
    """List filters for the project's column types."""

    def convert(self, type_name: str, column: Any, name: str, **kwargs: Any) -> Any:
        """Filters of `column`; times get day filters in the tenant's zone."""
        column_type = getattr(column, "type", None)
        if isinstance(column_type, UTCDateTime):
            return by_day(column, name)
        if isinstance(column_type, TypeDecorator):
            type_name = type(column_type.impl_instance).__name__
        return super().convert(type_name, column, name, **kwargs)


class _Typed:
    """Stands in for a column when only its type is looked at."""

    def __init__(self, column_type: Any) -> None:
        self.type = column_type


def _local_datetime_field(field_args: dict[str, Any], **extra: Any) -> LocalDateTimeField:
    return LocalDateTimeField(**field_args)
