"""django-auditlog, the peer of our audit plugin: what audit logging costs a Django app's writes.

A minimal Django project is configured in code, in this process, on the database of the run
(a SQLite file in WAL mode, as our app opens its SQLite files, or a PostgreSQL database
through psycopg): `django.contrib.contenttypes`, `django.contrib.auth` and
`auditlog` migrated, and two models of the shape of our `Contact` (first and last name,
e-mail, phone, notes, created and updated times): `AuditedContact`, registered with
`auditlog`, and `PlainContact`, not registered. The write callables create N records, one
transaction each, then change each record's phone, one transaction each, as a user with
`auditlog.context.set_actor`, the way its middleware records who did it. On the audited
model every write also stores a `LogEntry` with the changed fields.

Needs the `bench` extra (`make bench` installs it). Only the benchmarks import this module;
Django is configured once per process (its settings are global), on the first call, so a
process can prepare the peer on one database only.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import make_url

APP_LABEL = "bench_peer"
WAL = "PRAGMA journal_mode=WAL; PRAGMA foreign_keys=ON"


def django_database(url: str) -> dict[str, Any]:
    """Django's database settings for a SQLAlchemy-style URL (sqlite:///path or
    postgresql://user@host:port/name)."""
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        return {"ENGINE": "django.db.backends.sqlite3", "NAME": parsed.database,
                "OPTIONS": {"init_command": WAL}}
    return {"ENGINE": "django.db.backends.postgresql", "NAME": parsed.database,
            "USER": parsed.username or "", "PASSWORD": parsed.password or "",
            "HOST": parsed.host or "", "PORT": str(parsed.port or "")}


def _configure(database: dict[str, Any]) -> None:
    """Configure Django on `database` and load its apps (once per process)."""
    import django
    from django.conf import settings

    if settings.configured:
        if settings.DATABASES["default"]["NAME"] != database["NAME"]:
            raise RuntimeError(f"Django is already configured on "
                               f"{settings.DATABASES['default']['NAME']}")
        return
    settings.configure(
        DATABASES={"default": database},
        INSTALLED_APPS=["django.contrib.contenttypes", "django.contrib.auth", "auditlog"],
        USE_TZ=True,
        TIME_ZONE="UTC",
        DEFAULT_AUTO_FIELD="django.db.models.AutoField",
        SECRET_KEY="bench-peer-not-secret",
    )
    django.setup()


def _models() -> tuple[Any, Any]:
    """The audited and the plain contact model (defined once, after Django is set up)."""
    from django.apps import apps
    from django.db import models

    try:
        return (apps.get_registered_model(APP_LABEL, "AuditedContact"),
                apps.get_registered_model(APP_LABEL, "PlainContact"))
    except LookupError:
        pass

    class ContactShape(models.Model):
        first_name = models.CharField(max_length=128, default="")
        last_name = models.CharField(max_length=128, default="")
        email = models.CharField(max_length=320, null=True)
        phone = models.CharField(max_length=64, null=True)
        notes = models.TextField(null=True)
        created_at = models.DateTimeField(auto_now_add=True)
        updated_at = models.DateTimeField(auto_now=True)

        class Meta:
            abstract = True
            app_label = APP_LABEL

    class AuditedContact(ContactShape):
        class Meta:
            app_label = APP_LABEL

    class PlainContact(ContactShape):
        class Meta:
            app_label = APP_LABEL

    return AuditedContact, PlainContact


@dataclass
class DjangoAuditlogPeer:
    """The peer's database and its two write callables (see `prepare`)."""

    audited: Callable[[], int]
    plain: Callable[[], int]

    def counts(self) -> dict[str, int]:
        """Rows written so far: audited and plain contacts, and log entries."""
        from auditlog.models import LogEntry

        audited, plain = _models()
        return {"audited": audited.objects.count(), "plain": plain.objects.count(),
                "log_entries": LogEntry.objects.count()}

    def close(self) -> None:
        """Close Django's connections (the caller removes the database)."""
        from django.db import connections

        connections.close_all()


def prepare(url: str, people: list[dict[str, str | None]]) -> DjangoAuditlogPeer:
    """Make the peer's schema in the new, empty database at `url` (see `django_database`)
    and return the write callables.

    Each call of `audited` (or `plain`) creates one record per entry of `people` (keys
    first_name, last_name, email, phone, notes; the e-mail gets the call's number so that
    every call writes new people), one transaction each, then changes each new record's
    phone, one transaction each; it returns the number of writes.
    """
    _configure(django_database(url))
    from auditlog.context import set_actor
    from auditlog.registry import auditlog
    from django.contrib.auth.models import User
    from django.core.management import call_command
    from django.db import connection, connections, transaction

    connections.close_all()
    call_command("migrate", verbosity=0, interactive=False)
    audited_model, plain_model = _models()
    with connection.schema_editor() as editor:
        editor.create_model(audited_model)
        editor.create_model(plain_model)
    if not auditlog.contains(audited_model):
        auditlog.register(audited_model)
    user = User.objects.create(username="bench", email="bench@example.com")

    def writer(model: Any) -> Callable[[], int]:
        calls = 0

        def run() -> int:
            nonlocal calls
            calls += 1
            records = []
            with set_actor(user):
                for person in people:
                    with transaction.atomic():
                        records.append(model.objects.create(
                            **{**person, "email": f"{calls}.{person['email']}"}))
                for number, record in enumerate(records):
                    with transaction.atomic():
                        record.phone = f"+386 1 {calls:03d} {number:04d}"
                        record.save()
            return 2 * len(records)

        return run

    return DjangoAuditlogPeer(writer(audited_model), writer(plain_model))
