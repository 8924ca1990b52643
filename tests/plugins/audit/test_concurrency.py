"""Several writers append to one chain at once (threads of one process, and separate
processes like gunicorn workers): the chain never forks or breaks, and sequence numbers
have no gaps."""

from __future__ import annotations

import multiprocessing
import threading
from pathlib import Path

from core.db import db
from core.events import context, emit
from core.models import Contact
from plugins.audit.verify import verify_chain
from tests.conftest import build_app
from tests.plugins.audit.conftest import acting, entries
from tests.support import TenantLogins

WRITERS = 6
COMMITS_EACH = 12


def _run_in_parallel(target, count=WRITERS):
    barrier = threading.Barrier(count)
    errors: list[BaseException] = []

    def run(index):
        try:
            barrier.wait(timeout=30)
            target(index)
        except BaseException as exc:  # reported below, in the test's thread
            errors.append(exc)

    threads = [threading.Thread(target=run, args=(n,)) for n in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not errors, errors
    assert not any(thread.is_alive() for thread in threads)


def _create_and_view(writer: str) -> None:
    """COMMITS_EACH contacts created and then viewed, one commit each (two entries)."""
    for n in range(COMMITS_EACH):
        contact = Contact(first_name=writer, last_name=str(n), email=f"{writer}.{n}@x.si")
        db.session.add(contact)
        db.session.commit()
        emit("crm_record_viewed", context(), record=contact)
        db.session.commit()


def test_parallel_writers_of_one_tenant_keep_one_unbroken_chain(app, audited):
    def writer(index):
        with acting(app, audited):  # its own app context, so its own session
            _create_and_view(f"w{index}")

    _run_in_parallel(writer)
    trail = entries(app, audited.id)
    assert len(trail) == 1 + WRITERS * COMMITS_EACH * 2
    assert [e.seq for e in trail] == list(range(1, len(trail) + 1))
    with app.app_context():
        report = verify_chain(audited.id)
        assert report.ok, report.problem
    # each create comes before the view of the same contact, whatever the interleaving
    position = {(e.action, e.target_id): e.seq for e in trail if e.target_id}
    for (action, target), seq in position.items():
        if action == "viewed":
            assert position[("created", target)] < seq


def test_parallel_writers_create_a_new_chain_head_once(app, audited):
    """The platform chain has no head yet: concurrent first writers must not fork it."""

    def writer(index):
        with app.app_context():
            for n in range(4):
                emit("crm_login_failed", context(tenant=None, actor="anonymous"),
                     email=f"nobody{index}.{n}@x.si", reason="unknown_user")
                db.session.commit()

    _run_in_parallel(writer)
    trail = entries(app, None)
    assert [e.seq for e in trail] == list(range(1, WRITERS * 4 + 1))
    with app.app_context():
        report = verify_chain(None)
        assert report.ok, report.problem


PROCESSES = 4


def _process_writer(database_url: str, instance_dir: str, tenant: TenantLogins, index: int,
                    start: threading.Barrier) -> None:
    """One worker process: its own app, engine and connections, like a gunicorn worker."""
    app = build_app(database_url, Path(instance_dir))
    start.wait(timeout=120)
    with acting(app, tenant):
        _create_and_view(f"p{index}")
        db.session.remove()


def test_parallel_worker_processes_keep_one_unbroken_chain(app, audited, database_url,
                                                           tmp_path):
    spawn = multiprocessing.get_context("spawn")
    start = spawn.Barrier(PROCESSES)
    workers = [
        spawn.Process(target=_process_writer, args=(
            database_url, str(tmp_path / f"worker{n}"), audited, n, start))
        for n in range(PROCESSES)
    ]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(timeout=300)
    assert [worker.exitcode for worker in workers] == [0] * PROCESSES
    trail = entries(app, audited.id)
    assert len(trail) == 1 + PROCESSES * COMMITS_EACH * 2
    assert [e.seq for e in trail] == list(range(1, len(trail) + 1))
    assert {e.actor for e in trail[1:]} == {f"user:{audited.admin_email}"}
    with app.app_context():
        report = verify_chain(audited.id)
        assert report.ok, report.problem
