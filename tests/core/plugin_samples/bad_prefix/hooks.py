"""Registers a model whose table is not named bad_prefix_..."""

from sqlalchemy.orm import Mapped, mapped_column

from core.db import db
from core.hookspecs import hookimpl


class Unprefixed(db.Model):
    """A table without the plugin's prefix."""

    __tablename__ = "unprefixed_things"
    id: Mapped[int] = mapped_column(primary_key=True)


@hookimpl
def crm_register_models():
    return [Unprefixed]
