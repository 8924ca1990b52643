"""Registers the table `emptybranch_note`; migrations/versions holds no revision."""

from sqlalchemy.orm import Mapped, mapped_column

from core.db import db
from core.hookspecs import hookimpl


class EmptybranchNote(db.Model):
    """A table no migration creates."""

    __tablename__ = "emptybranch_note"
    id: Mapped[int] = mapped_column(primary_key=True)


@hookimpl
def crm_register_models():
    return [EmptybranchNote]
