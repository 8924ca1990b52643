"""Consent import: a 100,000-row consent XLSX (2,000 with `--quick`) imported by
`plugins.gdpr_consents.intake.importer.run_import`, against the limits and the peer of
issues 7 and 11, in the same run:

* `consent_import.vs_openpyxl`: openpyxl's read-only mode only iterating the same file's
  values. Target: ratio <= 3.
* `consent_import.vs_calamine`: python-calamine only iterating the same file, a second
  limit (a much faster reader, written in Rust): measured and shown, no target (issue 11
  names it as a limit; the target is openpyxl's).
* `consent_import.vs_django_import_export`: django-import-export (tablib) importing the same
  file into a comparable minimal Django app (`bench/peers/consent_app`: contact e-mail and
  names, consent purpose, state, date) on the same kind of SQLite file. Target: ratio <= 1.
* `consent_import.peak_rss`: the peak RSS of a separate process that builds the app and
  imports the file (the whole process, Python and the app included). Target: <= 300 MiB.

Ours and the peer each import into a fresh SQLite file per call, copied from an empty
template (the copy is part of the timed call on both sides; each side's app is built
once): for ours, a migrated database with one tenant that has `gdpr_consents` enabled
(only that plugin; the audit trail is measured by the `audit` benchmark), so every call
creates every contact and consent. The import always runs on SQLite files in
`bench/results/consent_import/` (the peer's database), whatever `--db` says. An import
takes seconds, so each figure runs 3 interleaved rounds after one warm-up round.
"""

from __future__ import annotations

import resource
import shutil
import subprocess
import sys
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bench.consent_sheet import write_consent_sheet
from bench.runner import Comparison, Target, benchmark, ratio_at_most, reference_for

ROWS = 100_000
QUICK_ROWS = 2_000
REPEAT = 3
WARMUP = 1
PEAK_RSS_MIB = 300
SLUG = "bench"


@dataclass(frozen=True)
class PeakRssAtMost(Target):
    """Target on the peak RSS of the importing process in MiB, read by the figure's own
    call (a separate process, so not the runner's tracemalloc peak): judged and shown as
    the runner's `peak_kib` metric."""

    reading: dict[str, float] = field(default_factory=dict, compare=False)

    def measured(self, ratio: float | None, ours: Any) -> float | None:
        """The peak read by the last call, in KiB (None before it ran)."""
        peak = self.reading.get("mib")
        return None if peak is None else peak * 1024

    def __str__(self) -> str:
        return f"peak RSS <= {self.limit / 1024:g} MiB"


def openpyxl_iterate(path: Path) -> Callable[[], int]:
    """openpyxl read-only: every value of every row, nothing else."""
    def run() -> int:
        from openpyxl import load_workbook

        book = load_workbook(path, read_only=True, data_only=True)
        count = 0
        try:
            for sheet in book.worksheets:
                for _row in sheet.iter_rows(values_only=True):
                    count += 1
        finally:
            book.close()
        return count
    return run


def calamine_iterate(path: Path) -> Callable[[], int]:
    """python-calamine: every row of every sheet."""
    def run() -> int:
        from python_calamine import CalamineWorkbook

        book = CalamineWorkbook.from_path(str(path))
        count = 0
        for name in book.sheet_names:
            for _row in book.get_sheet_by_name(name).iter_rows():
                count += 1
        return count
    return run


def make_our_template(template: Path) -> None:
    """A migrated SQLite file with tenant `bench` that has `gdpr_consents` enabled."""
    from core.db import db
    from core.events import context
    from core.models import Tenant
    from core.schema import upgrade
    from core.scoping import all_tenants, tenant_scope

    template.unlink(missing_ok=True)
    app = _our_app(template)
    upgrade(app)
    with app.app_context():
        with all_tenants():
            tenant = Tenant(slug=SLUG, name="Bench")
            db.session.add(tenant)
            db.session.commit()
        with tenant_scope(tenant.id):
            app.extensions["crm"]["plugins"].enable(context(tenant=tenant, actor="bench"),
                                                    "gdpr_consents")
            db.session.commit()
        db.session.remove()
        db.engine.dispose()


def _our_app(database: Path) -> Any:
    from core.app import create_app

    return create_app({"SQLALCHEMY_DATABASE_URI": f"sqlite:///{database}",
                       "INSTANCE_DIR": str(database.parent / "instance"), "TESTING": True,
                       "PLUGINS": ["gdpr_consents"]})


def import_once(app: Any, template: Path, database: Path, sheet: Path) -> int:
    """Copy `template` over `database` (the file of `app`) and import `sheet` into it as
    the tenant; return the rows created. Raises RuntimeError when the import did not
    commit."""
    from sqlalchemy import select

    from core.db import db
    from core.events import context
    from core.models import Tenant
    from core.scoping import all_tenants, tenant_scope
    from plugins.gdpr_consents.intake.importer import run_import

    with app.app_context():
        db.session.remove()
        db.engine.dispose()
        shutil.copyfile(template, database)
        with all_tenants():
            tenant = db.session.scalar(select(Tenant).where(Tenant.slug == SLUG))
        with tenant_scope(tenant.id):
            report = run_import(context(tenant=tenant, actor="cli:bench"), sheet.name,
                                sheet.read_bytes())
        if not report.committed:
            raise RuntimeError(f"the import did not commit: {report.errors[:3]}")
        db.session.remove()
        return report.count("created")


def _own_peak_mib() -> float:
    """This process's peak RSS in MiB: VmHWM, which starts again at exec (ru_maxrss keeps
    the peak of the process that started this one, here the whole benchmark run)."""
    status = Path("/proc/self/status")
    if status.exists():
        for line in status.read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return rss / (1024 * 1024) if sys.platform == "darwin" else rss / 1024


def _peak_rss_mib(template: Path, database: Path, sheet: Path) -> float:
    """Run one import in a new process; return that process's peak RSS in MiB."""
    done = subprocess.run(
        [sys.executable, "-m", "bench.benchmarks.consent_import", str(template),
         str(database), str(sheet)], capture_output=True, text=True, check=True)
    return float(done.stdout.strip().splitlines()[-1])


@benchmark("consent_import")
def consent_import(ctx: Any) -> Iterator[Comparison]:
    """Yield the import's figures (see the module docstring)."""
    from bench.peers import django_import

    rows = QUICK_ROWS if ctx.quick else ROWS
    folder = Path(ctx.results_dir) / "consent_import"
    folder.mkdir(parents=True, exist_ok=True)
    sheet = write_consent_sheet(folder / f"consents_{rows}_{ctx.seed}.xlsx", rows, ctx.seed)
    ours_template, ours_db = folder / "ours_template.sqlite3", folder / "ours.sqlite3"
    peer_template, peer_db = folder / "peer_template.sqlite3", folder / "peer.sqlite3"
    make_our_template(ours_template)
    worker = django_import.Worker(peer_template, peer_db)
    try:
        yield from _comparisons(ctx, rows, sheet, ours_template, ours_db, worker)
    finally:
        worker.close()
        for path in (ours_db, peer_db, ours_template, peer_template):
            path.unlink(missing_ok=True)


def _comparisons(ctx: Any, rows: int, sheet: Path, ours_template: Path, ours_db: Path,
                 worker: Any) -> Iterator[Comparison]:
    app = _our_app(ours_db)

    def ours() -> int:
        return import_once(app, ours_template, ours_db, sheet)

    def peer() -> int:
        return worker.import_file(sheet)

    size = f"{rows:,} rows, {sheet.stat().st_size / 1024:,.0f} KiB"
    common = {"repeat": REPEAT, "warmup": WARMUP, "measure_memory": False,
              "ours_label": "ours (run_import, new SQLite file)"}
    yield Comparison(name="consent_import.vs_openpyxl",
                     description=f"consent XLSX import ({size}) / openpyxl read-only iteration",
                     ours=ours, alternative=openpyxl_iterate(sheet), target=ratio_at_most(3),
                     alternative_label="openpyxl read-only, values only", **common)
    yield Comparison(name="consent_import.vs_calamine",
                     description="the same import / python-calamine iteration (the read "
                     "floor: a limit shown, no target)",
                     ours=ours, alternative=calamine_iterate(sheet),
                     target=reference_for("the read floor of consent_import"),
                     alternative_label="python-calamine", **{**common, "warmup": 0})
    yield Comparison(name="consent_import.vs_django_import_export",
                     description="the same import / django-import-export 4 (tablib, use_bulk) "
                     "into a comparable Django model, new SQLite file",
                     ours=ours, alternative=peer, target=ratio_at_most(1),
                     alternative_label="django-import-export", **{**common, "warmup": 0})
    measured: dict[str, float] = {}

    def peak() -> None:
        measured["mib"] = _peak_rss_mib(ours_template, ours_db, sheet)

    yield Comparison(name="consent_import.peak_rss",
                     description="peak RSS of a process that builds the app and imports "
                     f"the file ({size}); the time includes starting Python",
                     ours=peak, alternative=None,
                     target=PeakRssAtMost("peak_kib", PEAK_RSS_MIB * 1024, reading=measured),
                     ours_label="ours (separate process)", repeat=1, warmup=0,
                     measure_memory=False)
    with app.app_context():
        from core.db import db

        db.session.remove()
        db.engine.dispose()


if __name__ == "__main__":
    # the peak RSS figure: `python -m bench.benchmarks.consent_import TEMPLATE DB SHEET`
    database = Path(sys.argv[2])
    import_once(_our_app(database), Path(sys.argv[1]), database, Path(sys.argv[3]))
    print(_own_peak_mib())
