"""Registers the table `nofolder_note`; the package has no migrations/versions folder."""

from sqlalchemy.orm import Mapped, mapped_column

from core.db import db
from core.hookspecs import hookimpl


class NofolderNote(db.Model):
    """A table no migration creates."""

    __tablename__ = "nofolder_note"
    id: Mapped[int] = mapped_column(primary_key=True)


@hookimpl
def crm_register_models():
    return [NofolderNote]
