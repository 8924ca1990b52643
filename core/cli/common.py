"""Helpers shared by the commands: actor name, tenant look-up, one-sentence errors, writing
an output file whole or not at all."""

from __future__ import annotations

import json
import os
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import click
from sqlalchemy import select

from core.db import db
from core.dependants import model_for_table, soft_deletable_models
from core.events import cli_actor as cli_actor  # the commands take it from here
from core.models import Tenant
from core.scoping import all_tenants


class CliError(click.ClickException):
    """A failed operation: printed as one sentence on stderr, exit code 1."""

    exit_code = 1

    def show(self, file: Any = None) -> None:
        """Print `Error: <sentence>` on stderr."""
        click.echo(f"Error: {self.format_message()}", err=True)


def get_tenant(slug: str) -> Tenant:
    """Return the tenant with `slug` or fail with a sentence that says what to do."""
    with all_tenants():
        tenant = db.session.scalar(select(Tenant).where(Tenant.slug == slug))
    if tenant is None:
        raise CliError(f"There is no tenant '{slug}'; list them with 'crm tenants list'.")
    return tenant


def record_model(record_type: str, param_hint: str) -> type:
    """Return the soft-deletable model of `record_type` (its table name: contact, company,
    ... or a plugin's type); otherwise bad usage (exit 2) naming `param_hint` and listing
    the types there are."""
    model = model_for_table(record_type)
    if model is None:
        known = ", ".join(sorted(m.__table__.name for m in soft_deletable_models()))
        raise click.BadParameter(f"'{record_type}' is not a type of record; use one of "
                                 f"{known}.", param_hint=param_hint)
    return model


OUTPUT_PATH = click.Path(dir_okay=False, writable=True, path_type=Path)
"""The type of every `-o/--output FILE` option: a file, not a folder; writable if it exists."""


@contextmanager
def output_file(path: Path | str) -> Iterator[Path]:
    """Yield a new temporary file next to `path` for the command to write; when the block
    ends without error it replaces `path` (mode 600: exports hold personal data).

    If the folder does not exist or the file cannot be written, the temporary file is
    removed, the session rolled back (so no export is recorded for a file that was not
    written) and CliError `cannot write PATH: REASON.` raised: `path` is never half-written."""
    target = Path(path)
    try:
        handle, name = tempfile.mkstemp(prefix=f".{target.name}.", suffix=target.suffix,
                                        dir=target.parent)
        os.close(handle)
    except OSError as exc:
        raise _cannot_write(target, exc) from exc
    partial = Path(name)
    try:
        yield partial
        os.replace(partial, target)
    except OSError as exc:
        db.session.rollback()
        raise _cannot_write(target, exc) from exc
    finally:
        partial.unlink(missing_ok=True)


def _cannot_write(target: Path, exc: OSError) -> CliError:
    return CliError(f"cannot write {target}: {exc.strerror or exc}.")


def echo_json(value: Any) -> None:
    """Print `value` as indented JSON (non-ASCII kept readable)."""
    click.echo(json.dumps(value, ensure_ascii=False, indent=2, default=str))
