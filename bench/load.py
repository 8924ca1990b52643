"""Load test: gunicorn with 4 workers on PostgreSQL, all on 127.0.0.1, under many users of
several tenants at once, while a consent import and a burst of webhook deliveries run.

    .venv/bin/python -m bench.load [--quick] [--users 50] [--tenants 5] [--duration 60]

It creates the database `crm_load_<pid>` (admin URL: `CRM_BENCH_POSTGRES_URL`, default
`postgresql://postgres@127.0.0.1:5432/postgres`), runs `crm init-db`, seeds the tenants
(users, contacts, every plugin, Mailchimp and Brevo webhooks), starts
`gunicorn -c python:core.gunicorn_conf "core:create_app()"` on a free port and lets the
virtual users (bench/load_users.py) work. Meanwhile `crm consents import` loads a sheet into
one tenant and every webhook event is delivered twice (some copies at the same moment).

Then it checks: no error response (and no 5xx line in the server's JSON log), no row of
another tenant seen, `crm audit verify --tenant` passes for every tenant, the import
succeeded, and every webhook event was applied exactly once. It prints throughput and
p50/p95 latency per action and exits 1 when a check fails (2 on bad usage). Everything runs
on 127.0.0.1 and stops by itself after `--duration` seconds (plus setup and checks).
"""

from __future__ import annotations

import argparse
import json
import os
import random
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter, defaultdict
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import httpx

from bench.load_seed import (
    PLUGINS,
    Delivery,
    TenantData,
    create_database,
    drop_database,
    seed,
    webhook_events,
    write_consent_sheet,
)
from bench.load_users import Problem, Sample, VirtualUser

DEFAULT_ADMIN_URL = "postgresql://postgres@127.0.0.1:5432/postgres"
VENV_BIN = Path(sys.executable).parent
RESULTS_DIR = Path(__file__).resolve().parent / "results"


@dataclass(frozen=True)
class Settings:
    """What one run does."""

    users: int
    tenants: int
    duration: float
    workers: int
    contacts: int
    import_rows: int
    webhook_events: int
    keep_database: bool
    admin_url: str


def parse_args(argv: list[str] | None) -> Settings:
    """The command line; `--quick` is a smoke run (10 users, 15 s, less data)."""
    parser = argparse.ArgumentParser(prog="python -m bench.load", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="10 users, 15 s, less data")
    parser.add_argument("--users", type=int, help="concurrent users (default 50)")
    parser.add_argument("--tenants", type=int, default=5, help="tenants (default 5)")
    parser.add_argument("--duration", type=float, help="seconds of load (default 60)")
    parser.add_argument("--workers", type=int, default=4, help="gunicorn workers (default 4)")
    parser.add_argument("--keep-database", action="store_true",
                        help="leave the database for a look afterwards")
    args = parser.parse_args(argv)
    users = args.users or (10 if args.quick else 50)
    if users < args.tenants or args.tenants < 2:
        parser.error("--tenants must be at least 2 and --users at least --tenants")
    return Settings(
        users=users, tenants=args.tenants,
        duration=args.duration or (15.0 if args.quick else 60.0), workers=args.workers,
        contacts=40 if args.quick else 200, import_rows=50 if args.quick else 400,
        webhook_events=15 if args.quick else 60, keep_database=args.keep_database,
        admin_url=os.environ.get("CRM_BENCH_POSTGRES_URL", DEFAULT_ADMIN_URL))


def free_port() -> int:
    """A free TCP port on 127.0.0.1."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def crm(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    """Run a `crm` command with the server's environment."""
    return subprocess.run([str(VENV_BIN / "crm"), *args], env=env, capture_output=True,
                          text=True, timeout=600)


def start_gunicorn(env: dict[str, str], port: int, workers: int, log: Path) -> subprocess.Popen:
    """Start gunicorn with the production config and wait until `/healthz` answers."""
    with log.open("wb") as handle:
        server = subprocess.Popen(
            [str(VENV_BIN / "gunicorn"), "-c", "python:core.gunicorn_conf",
             "--workers", str(workers), "--bind", f"127.0.0.1:{port}", "core:create_app()"],
            env=env, stdout=handle, stderr=subprocess.STDOUT)
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise RuntimeError(f"gunicorn stopped at start; see {log}")
        try:
            if httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=2).status_code == 200:
                return server
        except httpx.HTTPError:
            pass
        time.sleep(0.5)
    server.terminate()
    raise RuntimeError(f"gunicorn did not answer within 120 s; see {log}")


# --- what runs beside the users ----------------------------------------------------------


@dataclass
class SideJob:
    """A consent import or a webhook burst: its timings and problems."""

    samples: list[Sample]
    problems: list[Problem]
    counts: Counter


def run_import(env: dict[str, str], sheet: Path, slug: str, delay: float, job: SideJob) -> None:
    """After `delay` seconds: `crm consents import SHEET --tenant SLUG --json`."""
    time.sleep(delay)
    started = time.perf_counter()
    result = crm(env, "consents", "import", str(sheet), "--tenant", slug, "--json")
    job.samples.append(Sample("import", result.returncode, time.perf_counter() - started))
    if result.returncode != 0:
        report = json.loads(result.stdout) if result.stdout.startswith("{") else {}
        errors = [row for row in report.get("rows", []) if row.get("errors")]
        job.problems.append(Problem("import", f"{result.stderr.strip()} {errors[:5]}"))


def run_webhooks(deliveries: list[Delivery], delay: float, job: SideJob, seed: int) -> None:
    """After `delay` seconds: send every delivery twice, shuffled, 8 at a time (so copies
    of one event also arrive at the same moment)."""
    time.sleep(delay)
    copies = [d for d in deliveries for _ in range(2)]
    random.Random(seed).shuffle(copies)
    lock = threading.Lock()

    def send(delivery: Delivery) -> None:
        started = time.perf_counter()
        response = httpx.post(delivery.url, content=delivery.body, timeout=60,
                              headers={"Content-Type": delivery.content_type})
        with lock:
            job.samples.append(Sample("webhook", response.status_code,
                                      time.perf_counter() - started))
            if response.status_code != 200:
                job.problems.append(Problem("webhook", f"{delivery.event_key}: "
                                            f"{response.status_code} {response.text[:200]}"))
                return
            for key, value in response.json().items():
                if isinstance(value, int):
                    job.counts[key] += value

    with ThreadPoolExecutor(max_workers=8) as pool:
        list(pool.map(send, copies))


# --- the checks afterwards ---------------------------------------------------------------


def check_rows_of_own_tenant(app, users: list[VirtualUser]) -> list[Problem]:
    """Every contact id a user saw belongs to that user's tenant."""
    from core.db import db
    from core.models import Contact, Tenant
    from core.scoping import all_tenants

    with app.app_context(), all_tenants():
        owner = dict(db.session.query(Contact.id, Tenant.slug).join(
            Tenant, Tenant.id == Contact.tenant_id).all())
    problems = []
    for user in users:
        foreign = {i for i in user.report.seen_ids if owner.get(i) != user.report.tenant}
        if foreign:
            problems.append(Problem("cross-tenant", f"{user.report.login} saw contacts "
                                    f"{sorted(foreign)[:10]} of another tenant"))
    return problems


def check_webhooks_applied_once(app, tenants: list[TenantData], sent: dict[str, int],
                                job: SideJob) -> list[Problem]:
    """Each distinct event is stored once, counted once as accepted or ignored, and made
    at most one consent change."""
    from sqlalchemy import func, select

    from core.db import db
    from core.scoping import tenant_scope
    from plugins.gdpr_consents.models import ConsentEvent, WebhookEvent

    problems = []
    with app.app_context():
        for tenant in tenants:
            with tenant_scope(tenant.id):
                stored = db.session.scalar(select(func.count(WebhookEvent.id)))
                repeated = db.session.execute(
                    select(ConsentEvent.consent_id, ConsentEvent.kind,
                           ConsentEvent.effective_at, func.count())
                    .where(ConsentEvent.actor.like("webhook:%"))
                    .group_by(ConsentEvent.consent_id, ConsentEvent.kind,
                              ConsentEvent.effective_at)
                    .having(func.count() > 1)).all()
            if stored != sent[tenant.slug]:
                problems.append(Problem("webhooks", f"{tenant.slug}: {sent[tenant.slug]} "
                                        f"events sent, {stored} stored"))
            if repeated:
                problems.append(Problem("webhooks", f"{tenant.slug}: consent changes made "
                                        f"twice by one event: {repeated[:3]}"))
    applied = job.counts["accepted"] + job.counts["ignored"]
    if applied != sum(sent.values()):
        problems.append(Problem("webhooks", f"{sum(sent.values())} events, the answers "
                                f"count {applied} applied ({dict(job.counts)})"))
    return problems


def check_server_log(log: Path) -> tuple[list[Problem], int]:
    """The server's JSON request lines: none with a 5xx status; return the lines counted."""
    problems, lines = [], 0
    for raw in log.read_text(errors="replace").splitlines():
        if not raw.startswith("{"):
            continue
        record = json.loads(raw)
        if record.get("logger") == "crm.requests":
            lines += 1
            if int(record.get("status", 0)) >= 500:
                problems.append(Problem("server", f"{record['method']} {record['path']}: "
                                        f"{record['status']} ({record['request_id']})"))
        elif record.get("level") in ("ERROR", "CRITICAL"):
            problems.append(Problem("server log", record.get("message", "")[:300]))
    return problems, lines


def check_audit(env: dict[str, str], tenants: list[TenantData]) -> list[Problem]:
    """`crm audit verify --tenant SLUG` passes for every tenant."""
    problems = []
    for tenant in tenants:
        result = crm(env, "audit", "verify", "--tenant", tenant.slug)
        if result.returncode != 0:
            problems.append(Problem("audit", f"{tenant.slug}: {result.stdout}{result.stderr}"))
    return problems


# --- the report --------------------------------------------------------------------------


def percentile(values: list[float], share: float) -> float:
    """The `share` quantile (0..1) of `values`, in milliseconds."""
    if len(values) == 1:
        return values[0] * 1000
    return statistics.quantiles(values, n=100, method="inclusive")[round(share * 100) - 1] * 1000


def print_figures(samples: list[Sample], seconds: float) -> None:
    """Throughput and latency, overall and per action."""
    by_action: dict[str, list[float]] = defaultdict(list)
    for sample in samples:
        by_action[sample.action].append(sample.seconds)
    web = [s.seconds for s in samples if s.action != "import"]
    print(f"requests: {len(web)} in {seconds:.1f} s = {len(web) / seconds:.1f} requests/s")
    print(f"{'action':<10} {'count':>7} {'p50 ms':>9} {'p95 ms':>9} {'max ms':>9}")
    for action, values in sorted(by_action.items()):
        print(f"{action:<10} {len(values):>7} {percentile(values, .5):>9.1f} "
              f"{percentile(values, .95):>9.1f} {max(values) * 1000:>9.1f}")
    print(f"{'all web':<10} {len(web):>7} {percentile(web, .5):>9.1f} "
          f"{percentile(web, .95):>9.1f} {max(web) * 1000:>9.1f}")


def main(argv: list[str] | None = None) -> int:
    """Run the load test; 0 when every check passed, 1 otherwise."""
    settings = parse_args(argv)
    database = f"crm_load_{os.getpid()}"
    work = Path(tempfile.mkdtemp(prefix="crm-load-"))
    RESULTS_DIR.mkdir(exist_ok=True)
    log = RESULTS_DIR / f"load-{time.strftime('%Y%m%dT%H%M%S')}-server.log"
    port = free_port()
    base_url = f"http://127.0.0.1:{port}"
    database_url = create_database(settings.admin_url, database)
    env = {**os.environ, "DATABASE_URL": database_url, "CRM_INSTANCE_DIR": str(work),
           "CRM_SECRET_KEY": "load-test-secret", "CRM_PLUGINS": ",".join(PLUGINS),
           # plain HTTP on 127.0.0.1: the cookies cannot be Secure here
           "CRM_SESSION_COOKIE_SECURE": "false", "CRM_REMEMBER_COOKIE_SECURE": "false",
           "CRM_LOG_FORMAT": "json", "CRM_LOGIN_MAX_FAILURES_PER_ADDRESS": "1000"}
    server = None
    try:
        print(f"database {database}; {settings.tenants} tenants, {settings.users} users, "
              f"{settings.duration:.0f} s, gunicorn with {settings.workers} workers on {base_url}")
        result = crm(env, "init-db")
        if result.returncode != 0:
            print(f"crm init-db failed: {result.stderr}", file=sys.stderr)
            return 1
        os.environ.update({k: v for k, v in env.items() if k.startswith(("CRM_", "DATABASE"))})
        from core import create_app

        app = create_app()
        users_per_tenant = -(-settings.users // settings.tenants)
        tenants = seed(app, settings.tenants, users_per_tenant, settings.contacts, base_url)
        sheet = work / "consents.csv"
        write_consent_sheet(sheet, tenants[0], settings.import_rows)
        deliveries = {t.slug: webhook_events(t, settings.webhook_events, seed=n)
                      for n, t in enumerate(tenants)}
        server = start_gunicorn(env, port, settings.workers, log)

        started = time.monotonic()
        deadline = started + settings.duration
        users = []
        for n in range(settings.users):
            tenant = tenants[n % len(tenants)]
            foreign = [i for t in tenants if t is not tenant for i in t.contact_ids]
            users.append(VirtualUser(base_url, tenant.users[n // len(tenants)], tenant,
                                     foreign, deadline, seed=n))
        side = SideJob([], [], Counter())
        jobs = [threading.Thread(target=run_import,
                                 args=(env, sheet, tenants[0].slug, settings.duration / 4, side)),
                threading.Thread(target=run_webhooks,
                                 args=([d for ds in deliveries.values() for d in ds],
                                       settings.duration / 3, side, 7))]
        for thread in users + jobs:
            thread.start()
        for thread in users + jobs:
            thread.join(timeout=settings.duration + 600)
        seconds = time.monotonic() - started
    finally:
        if server is not None:
            server.terminate()
            server.wait(timeout=60)

    samples = [s for u in users for s in u.report.samples] + side.samples
    problems = [p for u in users for p in u.report.problems] + side.problems
    problems += check_rows_of_own_tenant(app, users)
    log_problems, log_lines = check_server_log(log)
    problems += log_problems
    problems += check_webhooks_applied_once(
        app, tenants, {slug: len(ds) for slug, ds in deliveries.items()}, side)
    problems += check_audit(env, tenants)
    with app.app_context():
        from core.db import db

        db.engine.dispose()
    if not settings.keep_database:
        drop_database(settings.admin_url, database)

    print_figures(samples, seconds)
    print(f"server log: {log} ({log_lines} request lines)")
    print(f"webhooks: {sum(len(d) for d in deliveries.values())} events delivered twice: "
          f"{dict(side.counts)}")
    checks = Counter(p.what for p in problems)
    for problem in problems[:30]:
        print(f"PROBLEM {problem.what}: {problem.detail}")
    verdict = "all checks passed" if not problems else f"checks FAILED: {dict(checks)}"
    print(verdict)
    return 0 if not problems else 1


if __name__ == "__main__":
    sys.exit(main())
