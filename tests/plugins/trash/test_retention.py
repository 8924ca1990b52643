"""Retention per tenant: `crm trash purge-expired` purges only units older than the tenant's
days, in every tenant, again and again without harm; `crm trash empty` purges all."""

from __future__ import annotations

import json
import re
import shlex
from datetime import timedelta
from pathlib import Path

from sqlalchemy import func, select

from core.clock import utcnow
from core.db import db
from core.models import Contact
from core.records import delete_record
from core.scoping import including_deleted, tenant_scope
from core.settings import set_setting
from plugins.trash.models import TrashUnit

from .conftest import make_person, trashed_row


def _trash_days_ago(acting, email: str, days: int) -> int:
    with tenant_scope(acting.id):
        person = make_person(acting, email=email, first="X", last=email.split("@")[0],
                             consent=False)
        delete_record(acting.ctx(at=utcnow() - timedelta(days=days)),
                      db.session.get(Contact, person.contact_id))
        db.session.commit()
        return person.contact_id


def test_purge_expired_purges_only_units_older_than_each_tenants_retention(app, cli, acme,
                                                                            beta):
    with app.app_context():
        old = _trash_days_ago(acme, "old@firma.si", 31)
        fresh = _trash_days_ago(acme, "fresh@firma.si", 29)
        beta_old = _trash_days_ago(beta, "old@beta.si", 31)
        beta_kept = _trash_days_ago(beta, "kept@beta.si", 45)
        with tenant_scope(beta.id):
            set_setting(beta.id, "trash", "retention_days", 60)
            db.session.commit()

    result = cli.invoke(args=["trash", "purge-expired"])
    assert result.exit_code == 0, result.output
    assert "acme (retention 30 days): Purged 1 unit(s)" in result.output
    assert "beta (retention 60 days): Purged 0 unit(s)" in result.output
    with app.app_context():
        with tenant_scope(acme.id):
            assert trashed_row(Contact, old) is None
            assert trashed_row(Contact, fresh) is not None
        with tenant_scope(beta.id):
            assert trashed_row(Contact, beta_old) is not None
            assert trashed_row(Contact, beta_kept) is not None

    again = cli.invoke(args=["trash", "purge-expired"])
    assert again.exit_code == 0
    assert "Purged 0 expired unit(s) in 2 tenant(s)" in again.output


def test_purge_expired_works_in_batches_and_adopts_trashed_rows_without_a_unit(app, cli, acme):
    with app.app_context(), tenant_scope(acme.id):
        ids = [_trash_days_ago(acme, f"p{i}@firma.si", 40) for i in range(3)]
        stray = Contact(first_name="Stray", email="stray@firma.si",
                        deleted_at=utcnow() - timedelta(days=90), deleted_by="old release")
        db.session.add(stray)
        db.session.commit()
        stray_id = stray.id
    result = cli.invoke(args=["trash", "purge-expired", "--tenant", "acme", "--batch-size", "2"])
    assert result.exit_code == 0, result.output
    assert "Purged 4 unit(s)" in result.output
    with app.app_context(), tenant_scope(acme.id), including_deleted():
        assert db.session.scalar(
            select(func.count()).select_from(Contact).where(Contact.id.in_([*ids, stray_id]))
        ) == 0
        assert db.session.scalar(select(func.count()).select_from(TrashUnit)) == 0


def test_trash_empty_purges_the_whole_trash_of_one_tenant(app, cli, acme, beta):
    with app.app_context():
        mine = _trash_days_ago(acme, "a@firma.si", 0)
        theirs = _trash_days_ago(beta, "b@beta.si", 0)
    result = cli.invoke(args=["trash", "empty", "--tenant", "acme"])
    assert result.exit_code == 0, result.output
    assert result.output.startswith("acme: Purged 1 unit(s) from the trash: 4 row(s)")
    with app.app_context():
        with tenant_scope(acme.id):
            assert trashed_row(Contact, mine) is None
        with tenant_scope(beta.id):
            assert trashed_row(Contact, theirs) is not None


def test_commands_say_what_to_do_on_bad_input(cli, acme):
    unknown = cli.invoke(args=["trash", "empty", "--tenant", "nope"])
    assert unknown.exit_code == 1
    assert "There is no tenant 'nope'" in unknown.output
    assert cli.invoke(args=["trash", "purge-expired", "--batch-size", "0"]).exit_code == 2
    missing = cli.invoke(args=["trash", "restore", "999", "--tenant", "acme"])
    assert missing.exit_code == 1
    assert "There is no unit 999 in the trash of 'acme'" in missing.output


def test_trash_list_and_restore_from_the_command_line(app, cli, acme):
    with app.app_context():
        contact_id = _trash_days_ago(acme, "ana@firma.si", 2)
    listed = cli.invoke(args=["trash", "list", "--tenant", "acme", "--json"])
    assert listed.exit_code == 0, listed.output
    (item,) = json.loads(listed.output)
    of_type = cli.invoke(args=["trash", "list", "--tenant", "acme", "--type", "contact"])
    assert f"{item['id']:>6}  contact" in of_type.output
    none_of_type = cli.invoke(args=["trash", "list", "--tenant", "acme", "--type", "company"])
    assert none_of_type.output == "The trash of 'acme' is empty.\n"
    assert item["type"] == "contact" and item["rows"] == 4
    assert item["purge_after"].endswith(("+01:00", "+02:00"))
    restored = cli.invoke(args=["trash", "restore", str(item["id"]), "--tenant", "acme"])
    assert restored.exit_code == 0, restored.output
    assert "with 4 row(s)" in restored.output
    with app.app_context(), tenant_scope(acme.id):
        assert db.session.get(Contact, contact_id) is not None


def test_another_tenants_unit_or_person_is_not_found_from_the_command_line(app, cli, acme,
                                                                           beta):
    with app.app_context():
        _trash_days_ago(acme, "ana@firma.si", 2)
        with tenant_scope(acme.id):
            unit_id = db.session.scalar(select(TrashUnit.id))
    restore = cli.invoke(args=["trash", "restore", str(unit_id), "--tenant", "beta"])
    assert restore.exit_code == 1
    assert restore.output == (f"Error: There is no unit {unit_id} in the trash of 'beta'; see "
                              "'crm trash list --tenant beta'.\n")
    listed = cli.invoke(args=["trash", "list", "--tenant", "beta", "--json"])
    assert json.loads(listed.output) == []
    erase = cli.invoke(args=["erase", "ana@firma.si", "--tenant", "beta"])
    assert erase.exit_code == 1 and erase.output.count("\n") == 1
    assert "No contact of 'beta' has the address ana@firma.si" in erase.output
    emptied = cli.invoke(args=["trash", "empty", "--tenant", "beta"])
    assert emptied.output.startswith("beta: Purged 0 unit(s)")
    with app.app_context(), tenant_scope(acme.id):
        assert db.session.get(TrashUnit, unit_id) is not None


def test_bad_input_on_the_command_line_gets_one_sentence_and_no_traceback(cli, acme):
    for args, code, sentence in (
            (["trash", "restore", "abc", "--tenant", "acme"], 2,
             "Error: Invalid value for 'UNIT_ID': 'abc' is not a valid integer (an id from 1 to "
             "2147483647)."),
            (["trash", "restore", "99999999999999999999999", "--tenant", "acme"], 2,
             "Error: Invalid value for 'UNIT_ID': '99999999999999999999999' is not a valid "
             "integer (an id from 1 to 2147483647)."),
            (["trash", "list", "--tenant", "nope"], 1,
             "Error: There is no tenant 'nope'; list them with 'crm tenants list'."),
            (["trash", "list", "--tenant", "acme", "--type", "bogus"], 2,
             "Error: Invalid value for --type: 'bogus' is not a type of record; use one of "
             "activity, attachment, company, contact, gdpr_consents_consent."),
            (["trash", "purge-expired", "--tenant", "nope"], 1,
             "Error: There is no tenant 'nope'; list them with 'crm tenants list'."),
            (["trash", "empty", "--tenant", "acme", "--batch-size", "x"], 2,
             "Error: Invalid value for '--batch-size': 'x' is not a valid integer range."),
            (["erase", "ana@", "--tenant", "acme"], 2, None)):
        result = cli.invoke(args=args)
        assert result.exit_code == code, (args, result.output)
        assert not isinstance(result.exception, Exception), args  # only SystemExit
        last = result.output.strip().splitlines()[-1]
        assert last.startswith("Error: ") and last.count(". ") == 0, last
        if sentence:
            assert last == sentence, last


DOCS = Path(__file__).resolve().parents[3] / "docs"
CRON_LINE = re.compile(r"^((?:[\d*/,-]+\s+){5})(crm [^#\n]*?)\s*(?:#.*)?$", re.M)


def _cron_lines(name: str) -> dict[str, str]:
    """The `crm` commands of the cron block of docs/`name`, with their schedules."""
    return {command: when for when, command in CRON_LINE.findall((DOCS / name).read_text())}


def test_retention_runs_daily_from_the_cron_lines_of_the_docs(app, cli, acme):
    trash_cron, ops_cron = _cron_lines("trash.md"), _cron_lines("operations.md")
    assert list(trash_cron) == ["crm trash purge-expired", "crm backup create",
                                "crm backup prune --keep-days 30"]
    for cron in (trash_cron, ops_cron):
        minute, hour, *every_day = cron["crm trash purge-expired"].split()
        assert every_day == ["*", "*", "*"] and minute.isdigit() and hour.isdigit()
        assert "crm backup prune --keep-days 30" in cron and "crm backup create" in cron
    with app.app_context():
        old = _trash_days_ago(acme, "old@firma.si", 31)
        fresh = _trash_days_ago(acme, "fresh@firma.si", 1)
    for command in trash_cron:  # as cron would run them, in the documented order
        result = cli.invoke(args=shlex.split(command)[1:])
        assert result.exit_code == 0, (command, result.output)
    with app.app_context(), tenant_scope(acme.id):
        assert trashed_row(Contact, old) is None
        assert trashed_row(Contact, fresh) is not None
