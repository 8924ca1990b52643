"""The benchmark harness: runner arithmetic, report format, usage errors and the generator.

Nothing here times real code: speed is measured by `python -m bench`, never asserted.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa
from sqlalchemy import func, select

from bench import runner as runner_module
from bench.__main__ import main
from bench.benchmarks.contact_list import orm_list, sql_list
from bench.datagen import generate
from bench.runner import (
    Comparison,
    Runner,
    median_at_most_ms,
    peak_at_most_mib,
    ratio_at_most,
    reference_for,
    report_lines,
    summarize,
)
from core import create_app
from core.db import db
from core.emails import normalize_email
from core.models import Activity, Company, Contact, Tag, Tenant, activity_participant
from core.schema import upgrade
from core.scoping import all_tenants, including_deleted, tenant_scope
from core.testing import admin_engine
from core.text import search_key


class FakeClock:
    """A clock that only moves when a fake workload advances it (seconds)."""

    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def workload(clock: FakeClock, name: str, durations_ms: list[float], calls: list[str]):
    """Return a callable that logs its call and advances `clock` by the next duration."""
    remaining = iter(durations_ms)

    def run() -> None:
        calls.append(name)
        clock.now += next(remaining, 0.0) / 1000

    return run


def test_summarize_gives_median_min_max() -> None:
    timing = summarize("x", [3.0, 1.0, 10.0, 2.0])
    assert (timing.median_ms, timing.min_ms, timing.max_ms) == (2.5, 1.0, 10.0)
    assert summarize("y", [4.0, 1.0, 9.0]).median_ms == 4.0
    with pytest.raises(ValueError):
        summarize("z", [])


def test_runner_interleaves_and_computes_ratio() -> None:
    clock, calls = FakeClock(), []
    # One warm-up call each (0 ms: not timed), then three timed calls each.
    ours = workload(clock, "A", [0.0, 4.0, 2.0, 9.0], calls)
    alternative = workload(clock, "B", [0.0, 1.0, 2.0, 1.5], calls)
    runner = Runner(repeat=3, warmup=1, clock=clock, measure_memory=False)
    result = runner.measure(
        Comparison("trivial", ours, alternative, ratio_at_most(1.5))
    )
    assert calls == ["A", "B", "A", "B", "A", "B", "A", "B"]
    assert result.ours.samples_ms == pytest.approx([4.0, 2.0, 9.0])
    assert result.ours.median_ms == pytest.approx(4.0)
    assert (result.ours.min_ms, result.ours.max_ms) == pytest.approx((2.0, 9.0))
    assert result.alternative is not None
    assert result.alternative.median_ms == pytest.approx(1.5)
    assert result.ratio == pytest.approx(4.0 / 1.5)
    assert result.target == "ratio <= 1.5"
    assert result.met is False


def test_absolute_target_and_memory() -> None:
    clock, calls = FakeClock(), []
    ours = workload(clock, "A", [5.0] * 10, calls)
    result = Runner(repeat=3, warmup=0, clock=clock).measure(
        Comparison("alone", ours, None, median_at_most_ms(150))
    )
    assert result.alternative is None and result.ratio is None
    assert result.ours.median_ms == pytest.approx(5.0)
    assert result.met is True and result.target == "median <= 150 ms"
    assert result.ours.peak_kib is not None and result.ours.peak_kib >= 0


def test_report_ends_with_targets_met_line(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(runner_module, "REGISTRY", {})

    @runner_module.benchmark("trivial")
    def trivial(ctx: object):
        yield Comparison("trivial.fast", lambda: None, lambda: None, median_at_most_ms(1000))
        yield Comparison("trivial.slow", lambda: None, None, median_at_most_ms(-1))

    registered = runner_module.REGISTRY
    assert registered == {"trivial": trivial}
    results = Runner(repeat=3, warmup=1).run(runner_module.REGISTRY["trivial"], None)
    lines = report_lines(results)
    assert [r.name for r in results] == ["trivial.fast", "trivial.slow"]
    assert lines[-1] == "targets met: 1/2"
    assert any("MISSED" in line for line in lines)


def test_every_kind_of_target_is_summarized() -> None:
    """A module states each target with one `Target`; the runner judges it and lists it
    in the summary, reference figures uncounted."""
    big = lambda: bytearray(4 * 1024 * 1024)  # noqa: E731
    figures = [
        Comparison("m.memory_ok", big, None, peak_at_most_mib(8)),
        Comparison("m.memory_over", big, None, peak_at_most_mib(1, "one MiB")),
        Comparison("m.yardstick", lambda: None, lambda: None, reference_for("m.x")),
        Comparison("m.fast", lambda: None, lambda: None, ratio_at_most(1e9)),
    ]
    results = Runner(repeat=1, warmup=0).run(lambda ctx: iter(figures), None)
    assert [r.met for r in results] == [True, False, True, True]
    assert results[0].target_metric == "peak_kib" and results[0].target_limit == 8192
    assert results[0].measured is not None and results[0].measured >= 4096
    assert results[2].counted is False and results[2].target_limit is None
    lines = report_lines(results)
    assert lines[-1] == "targets met: 2/3"
    summary = lines[lines.index("targets:") + 1:-1]
    assert len(summary) == 3 and summary[1].startswith("  MISSED  m.memory_over")
    assert "target peak <= 1 MiB (one MiB)" in summary[1]


def test_bad_usage_exits_with_2(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--db", "mysql"]) == 2
    assert main(["no_such_benchmark"]) == 2
    assert "unknown benchmark" in capsys.readouterr().err


def _app(tmp_path: Path, name: str, plugins: tuple[str, ...] = (), url: str | None = None):
    app = create_app({
        "SQLALCHEMY_DATABASE_URI": url or f"sqlite:///{tmp_path}/{name}.sqlite3",
        "INSTANCE_DIR": str(tmp_path),
        "TESTING": True,
        "PLUGINS": list(plugins),
    })
    upgrade(app)
    return app


def test_datagen_tiny_sqlite(tmp_path: Path) -> None:
    app = _app(tmp_path, "b")
    summary = generate(app, tenants=2, contacts_per_tenant=100, companies_per_tenant=5,
                       activities_per_tenant=30, seed=7)
    assert summary.counts["contacts"] == 200
    assert summary.counts["companies"] == 10
    assert summary.counts["activities"] == 60
    assert summary.counts["tenants"] == 2 and summary.counts["tags"] == 12
    assert len(summary.tenant_ids) == 2
    with app.app_context():
        with all_tenants():
            assert db.session.scalar(select(func.count()).select_from(Tenant)) == 2
            participants = db.session.execute(
                select(func.count()).select_from(activity_participant)
            ).scalar()
            assert participants == summary.counts["activity_participants"] >= 60
        for tenant_id in summary.tenant_ids:
            with tenant_scope(tenant_id):
                live = db.session.scalar(select(func.count()).select_from(Contact))
                assert live == summary.live_contacts[tenant_id]
                with including_deleted():
                    contacts = db.session.scalars(select(Contact)).all()
                assert len(contacts) == 100
                assert db.session.scalar(select(func.count()).select_from(Company)) == 5
                assert db.session.scalar(select(func.count()).select_from(Activity)) == 30
                assert db.session.scalar(select(func.count()).select_from(Tag)) == 6
                for contact in contacts:
                    assert contact.search_key == search_key(
                        contact.first_name, contact.last_name, contact.email
                    )
                    assert contact.email == normalize_email(contact.email)
                    assert contact.created_at.tzinfo is not None
                # The benchmark's two sides answer the same question.
                for page, term in [(0, None), (1, None), (0, "Novak")]:
                    assert orm_list(tenant_id, page, term)() == sql_list(tenant_id, page, term)()


def test_datagen_is_reproducible_from_seed(tmp_path: Path) -> None:
    def people(name: str, seed: int) -> list[tuple]:
        app = _app(tmp_path, name)
        generate(app, tenants=1, contacts_per_tenant=50, seed=seed)
        with app.app_context(), all_tenants(), including_deleted():
            rows = db.session.execute(
                select(Contact.first_name, Contact.last_name, Contact.email,
                       Contact.company_id, Contact.deleted_at.is_(None)).order_by(Contact.id)
            ).all()
        return [tuple(row) for row in rows]

    first = people("one", 11)
    assert first == people("two", 11)
    assert first != people("three", 12)


@pytest.fixture(params=["sqlite", "postgresql"])
def new_database(request: pytest.FixtureRequest, tmp_path: Path
                 ) -> Iterator[Callable[[str], str]]:
    """A function that returns the URL of a new, empty database of the backend under test
    (PostgreSQL ones are dropped afterwards)."""
    if request.param == "sqlite":
        yield lambda name: f"sqlite:///{tmp_path / name}.sqlite3"
        return
    request.getfixturevalue("postgresql_url")  # skips (or fails) without a server
    engine, made = admin_engine(), []

    def make(name: str) -> str:
        database = f"crm_test_datagen_{name}_{uuid.uuid4().hex[:6]}"
        with engine.connect() as conn:
            conn.execute(sa.text(f'CREATE DATABASE "{database}"'))
        made.append(database)
        return engine.url.set(database=database).render_as_string(hide_password=False)

    yield make
    with engine.connect() as conn:
        for database in made:
            conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)'))
    engine.dispose()


def test_datagen_with_plugins_is_reproducible_and_chained(
        tmp_path: Path, new_database: Callable[[str], str]) -> None:
    """Everything the generator makes (companies with addresses, contacts, trashed units,
    consents over several purposes, audit entries) is the same for the same seed; the
    generated audit chain verifies."""
    from plugins.audit.models import AuditEntry
    from plugins.audit.verify import verify_chain
    from plugins.gdpr_consents.models import Consent

    def everything(name: str, seed: int) -> dict[str, list[tuple]]:
        app = _app(tmp_path, name, ("audit", "gdpr_consents"), new_database(name))
        summary = generate(app, tenants=2, contacts_per_tenant=60, seed=seed,
                           consents_per_contact=3, audit_entries_per_tenant=120)
        assert summary.counts["audit_entries"] == 240
        assert summary.counts["consents"] == 360
        queries = {
            "companies": select(Company.name, Company.vat_id, Company.address),
            "contacts": select(Contact.first_name, Contact.last_name, Contact.email,
                               Contact.company_id, Contact.deletion_unit),
            "consents": select(Consent.contact_id, Consent.purpose_id, Consent.state,
                               Consent.duration_months, Consent.deleted_at.is_(None)),
            "audit": select(AuditEntry.tenant_id, AuditEntry.seq, AuditEntry.actor,
                            AuditEntry.action, AuditEntry.target_id, AuditEntry.label),
        }
        with app.app_context(), all_tenants(), including_deleted():
            data = {key: [tuple(row) for row in db.session.execute(
                query.order_by(*query.selected_columns))] for key, query in queries.items()}
            for tenant_id in summary.tenant_ids:
                assert verify_chain(tenant_id).ok
        with app.app_context():
            db.engine.dispose()
        return data

    first = everything("one", 5)
    assert first == everything("two", 5)
    assert first != everything("three", 6)
    addresses = [address for _n, _v, address in first["companies"]]
    assert all(address and "\n" in address for address in addresses)
    assert {state for _c, _p, state, _m, _l in first["consents"]} >= {"granted", "withdrawn"}
    assert len({action for _t, _s, _a, action, _i, _l in first["audit"]}) >= 4
    assert any(unit for *_rest, unit in first["contacts"])
