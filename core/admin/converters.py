"""Teach Flask-Admin the project's column types (text and time type decorators, enums).

Flask-Admin picks form fields and list filters by the column type's class name, and does
not know `SafeString`/`SafeText` (text that is sanitized) or `UTCDateTime` (aware UTC
times). Text columns get the fields and filters of their underlying type; time columns get
a field typed in the tenant's time zone and day filters (the stock ones would write naive
times, which the column refuses). Enum columns get a select whose data is the enum member
(the stock field hands the model a plain string and matches stored members by name, so an
edit form preselected nothing where values differ from names).
"""

from __future__ import annotations

import enum
from typing import Any

from flask_admin import form
from flask_admin.contrib.sqla.filters import FilterConverter
from flask_admin.contrib.sqla.form import AdminModelConverter
from flask_admin.model.form import converts
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

    @converts("sqlalchemy.sql.sqltypes.Enum", "Enum")
    def convert_enum(self, column: Any, field_args: dict[str, Any], **extra: Any) -> Any:
        """A select of the enum's values whose data is the member (None when blank)."""
        enum_class = getattr(column.type, "enum_class", None)
        if enum_class is None:  # an Enum of plain strings: the stock field fits
            return super().convert_enum(column, field_args, **extra)
        if column.nullable:
            field_args["allow_blank"] = True
        self._nullable_common(column, field_args)
        field_args["choices"] = [(member.value, str(member.value).replace("_", " "))
                                 for member in enum_class]
        field_args["coerce"] = _member_of(enum_class)
        return form.Select2Field(**field_args)


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


def _member_of(enum_class: type[enum.Enum]) -> Any:
    """The coerce function of an enum select: a member from its value (a member stays
    itself; blank is None; an unknown value stays text, which the select refuses as "Not a
    valid choice")."""

    def member(value: Any) -> Any:
        if isinstance(value, enum_class):
            return value
        if value is None or value in ("", "__None"):
            return None
        try:
            return enum_class(value)
        except ValueError:
            return str(value)

    return member


def _local_datetime_field(field_args: dict[str, Any], **extra: Any) -> LocalDateTimeField:
    return LocalDateTimeField(**field_args)
