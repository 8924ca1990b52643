"""django-import-export (tablib) importing the consent XLSX into `consent_app`, on a SQLite
file, as a Django user would write it: a `ModelResource` for the consent, the contact found
or created by e-mail before each row, rows matched on (contact, purpose) so that a second
import changes nothing, `use_bulk` for the writes and the whole import in one transaction.

Django is configured once per process (`setup()`); `import_file` imports into a database
file that `fresh_database` copies from an empty template. The benchmark drives it through
`Worker`, a process of its own: Django's settings are global to a process, and the audit
benchmark's django-auditlog peer configures them for its own project in the benchmark's.
"""

from __future__ import annotations

import multiprocessing
import shutil
from pathlib import Path
from typing import Any

_STATE: dict[str, Any] = {}


def setup(database: Path) -> None:
    """Configure Django with `consent_app` on the SQLite file `database` (once)."""
    if _STATE.get("database") is not None:
        return
    import django
    from django.conf import settings

    settings.configure(
        INSTALLED_APPS=["bench.peers.consent_app"],
        DATABASES={"default": {"ENGINE": "django.db.backends.sqlite3", "NAME": str(database)}},
        USE_TZ=True,
        TIME_ZONE="Europe/Ljubljana",
        DEFAULT_AUTO_FIELD="django.db.models.AutoField",
        IMPORT_EXPORT_USE_TRANSACTIONS=True,
    )
    django.setup()
    _STATE["database"] = database


def make_template(template: Path) -> None:
    """Write an empty database with the app's two tables to `template`."""
    from django.db import connection

    from bench.peers.consent_app.models import Consent, Contact

    connection.close()
    template.unlink(missing_ok=True)
    connection.settings_dict["NAME"] = str(template)
    with connection.schema_editor() as editor:
        editor.create_model(Contact)
        editor.create_model(Consent)
    connection.close()


def fresh_database(template: Path, database: Path) -> None:
    """Point Django's connection at `database`, a new copy of `template`."""
    from django.db import connection

    connection.close()
    shutil.copyfile(template, database)
    connection.settings_dict["NAME"] = str(database)


def _resource_class() -> type:
    if "resource" in _STATE:
        return _STATE["resource"]
    from import_export import fields, resources, widgets

    from bench.peers.consent_app.models import Consent, Contact

    class ConsentResource(resources.ModelResource):
        """Sheet columns to the consent; the contact by e-mail, created when missing."""

        contact = fields.Field(attribute="contact_id", column_name="Email")
        purpose = fields.Field(attribute="purpose", column_name="Purpose")
        given_at = fields.Field(attribute="given_at", column_name="Given at",
                                widget=widgets.DateTimeWidget())
        duration_months = fields.Field(attribute="duration_months",
                                       column_name="Duration months",
                                       widget=widgets.IntegerWidget())
        source = fields.Field(attribute="source", column_name="Source")

        class Meta:
            model = Consent
            import_id_fields = ("contact", "purpose")
            fields = ("contact", "purpose", "given_at", "duration_months", "source")
            use_bulk = True
            batch_size = 1000
            skip_diff = True

        def before_import_row(self, row: Any, **kwargs: Any) -> None:
            email = str(row["Email"]).strip().lower()
            contact, _ = Contact.objects.get_or_create(
                email=email, defaults={"first_name": row["First name"] or "",
                                       "last_name": row["Last name"] or ""})
            row["Email"] = contact.pk

    _STATE["resource"] = ConsentResource
    return ConsentResource


def import_file(path: Path) -> int:
    """Import the XLSX at `path` with django-import-export; return the rows imported.
    Raises RuntimeError when a row fails."""
    import tablib

    with path.open("rb") as handle:
        dataset = tablib.Dataset().load(handle, format="xlsx")
    result = _resource_class()().import_data(dataset, dry_run=False, raise_errors=True)
    if result.has_errors() or result.has_validation_errors():
        raise RuntimeError("django-import-export reported errors")
    return result.total_rows


class Worker:
    """django-import-export in a process of its own, started (and Django configured, the
    template written) once; each `import_file` call copies the template and imports, so
    a timed call is the import and one pipe round trip."""

    def __init__(self, template: Path, database: Path) -> None:
        spawn = multiprocessing.get_context("spawn")
        self._connection, child = spawn.Pipe()
        self._process = spawn.Process(target=_serve, args=(child, str(template), str(database)),
                                      daemon=True)
        self._process.start()
        child.close()  # the worker's end: a worker that dies is then an EOFError here
        self._answer()

    def import_file(self, sheet: Path) -> int:
        """Import `sheet` into a new copy of the template; return the rows imported."""
        self._connection.send(str(sheet))
        return self._answer()

    def close(self) -> None:
        """Stop the process."""
        if self._process.is_alive():
            self._connection.send(None)
            self._process.join(timeout=30)

    def _answer(self) -> int:
        try:
            kind, value = self._connection.recv()
        except EOFError:
            raise RuntimeError("django-import-export peer: the worker stopped") from None
        if kind == "error":
            raise RuntimeError(f"django-import-export peer: {value}")
        return value


def _serve(connection: Any, template: str, database: str) -> None:
    """The worker process: set up, then import each sheet named until None arrives."""
    try:
        setup(Path(database))
        make_template(Path(template))
        connection.send(("ok", 0))
        while (sheet := connection.recv()) is not None:
            fresh_database(Path(template), Path(database))
            connection.send(("ok", import_file(Path(sheet))))
    except Exception as exc:  # reported to the benchmark, which stops with it
        connection.send(("error", f"{type(exc).__name__}: {exc}"))
