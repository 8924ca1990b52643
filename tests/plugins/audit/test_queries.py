"""Reading the trail: filters, pages, a contact's history panel, list and export commands."""

from __future__ import annotations

import csv
import io
import json
from dataclasses import replace
from datetime import UTC, datetime, timedelta

from openpyxl import load_workbook

from core.db import db
from core.events import EventContext, context, emit, tenant_ref
from core.models import Contact, Tenant
from plugins.audit.panel import history_panel
from plugins.audit.queries import EntryFilter, contact_history, entries_page
from tests.plugins.audit.conftest import acting, entries

MAY = datetime(2025, 5, 10, 8, 0, tzinfo=UTC)


def _fill(app, tenant):
    """Two contacts; Ana created on 10 May 2025 by the admin, then changed and viewed by
    the user on later days; a consent-like export about Ana; a list view."""
    with acting(app, tenant):
        ana = Contact(first_name="Ana", last_name="Česnik", email="ana@x.si")
        bor = Contact(first_name="Bor", last_name="Zupan", email="bor@x.si")
        db.session.add_all([ana, bor])
        db.session.flush()
        ctx = context()
        for entry_ctx, hook, kwargs in [
            (replace(ctx, at=MAY), "crm_record_viewed", {"record": bor}),
            (replace(ctx, at=MAY + timedelta(days=1), actor=f"user:{tenant.user_email}",
                     user_id=tenant.user_id), "crm_record_viewed", {"record": ana}),
            (replace(ctx, at=MAY + timedelta(days=2)), "crm_records_exported",
             {"what": "subject data", "file_format": "docx", "subject": "Ana Česnik",
              "rows": 5, "details": {"contact_id": ana.id}}),
            (replace(ctx, at=MAY + timedelta(days=3)), "crm_list_viewed",
             {"list_name": "contacts", "search": None, "filters": {}, "page": 0,
              "rows_shown": 2}),
        ]:
            emit(hook, entry_ctx, **kwargs)
        db.session.commit()
        ana.phone = "041 000 000"
        db.session.commit()
        return ana.id, bor.id


def test_filters_pages_and_history(app, audited):
    ana_id, bor_id = _fill(app, audited)
    tid = audited.id
    with app.app_context():
        everything = entries_page(tid, EntryFilter(), size=3)
        assert len(everything.entries) == 3 and everything.has_more
        second = entries_page(tid, EntryFilter(), page=1, size=3)
        assert not {e.id for e in second.entries} & {e.id for e in everything.entries}
        by_user = entries_page(tid, EntryFilter(user_id=audited.user_id)).entries
        assert [(e.action, e.target_id) for e in by_user] == [("viewed", ana_id)]
        views = entries_page(tid, EntryFilter(action="viewed")).entries
        assert [e.target_id for e in views] == [ana_id, bor_id]  # newest first
        target = entries_page(tid, EntryFilter(target_type="contact", target_id=bor_id))
        assert [e.action for e in target.entries] == ["created", "viewed"]  # created "now"
        in_may = entries_page(tid, EntryFilter(since=MAY + timedelta(hours=1),
                                               until=MAY + timedelta(days=3))).entries
        assert [e.action for e in in_may] == ["exported", "viewed"]
        # full text on labels ignores case and accents
        found = entries_page(tid, EntryFilter(text="cesnik")).entries
        assert {e.action for e in found} == {"created", "viewed", "exported", "updated"}
        assert entries_page(tid, EntryFilter(text="100%")).entries == []
        history = contact_history(tid, ana_id)
        assert [e.action for e in history][:1] == ["updated"]
        assert {e.action for e in history} == {"created", "viewed", "exported", "updated"}
        assert all(e.contact_id == ana_id for e in history)


def test_the_history_panel_shows_who_did_what(app, audited):
    ana_id, _ = _fill(app, audited)
    with acting(app, audited), app.test_request_context():
        contact = db.session.get(Contact, ana_id)
        tenant = tenant_ref(db.session.get(Tenant, audited.id))
        panels = emit("crm_contact_panels", context(tenant=tenant), contact=contact)
        (panel,) = [p for group in panels for p in group if p.plugin == "audit"]
        assert panel.title == "History"
        html = str(panel.html)
        assert f"user:{audited.user_email}" in html and "viewed contact" in html
        assert "changed contact" in html and "041 000 000" in html
        assert "exported subject data" in html
        assert "2025-05-11 10:00" in html  # shown in Europe/Ljubljana
        assert history_panel(EventContext(tenant=None, actor="system"), contact) is None


def test_history_panel_escapes_what_users_typed(app, audited):
    with acting(app, audited), app.test_request_context():
        contact = Contact(first_name="<script>alert(1)</script>", email="x@x.si")
        db.session.add(contact)
        db.session.commit()
        html = str(history_panel(context(), contact).html)
    assert "<script>" not in html and "&lt;script&gt;" in html


def test_list_command_filters_and_prints_json(app, cli, audited):
    _fill(app, audited)
    listed = cli.invoke(args=["audit", "list", "--tenant", "acme"])
    assert listed.exit_code == 0, listed.output
    assert "enabled the plugin audit" in listed.output
    assert "viewed the list contacts (page 1, 2 rows)" in listed.output
    as_json = cli.invoke(args=["audit", "list", "--tenant", "acme", "--action", "viewed",
                               "--json"])
    items = json.loads(as_json.output)
    assert [i["action"] for i in items] == ["viewed", "viewed"]
    assert items[0]["at"] == "2025-05-10T10:00:00+02:00"
    since = cli.invoke(args=["audit", "list", "--tenant", "acme", "--since", "2025-05-11",
                             "--until", "2025-05-13", "--json"])
    assert [i["action"] for i in json.loads(since.output)] == ["viewed", "exported"]
    last = cli.invoke(args=["audit", "list", "--tenant", "acme", "--limit", "1", "--json"])
    assert [i["action"] for i in json.loads(last.output)] == ["updated"]
    bad = cli.invoke(args=["audit", "list", "--tenant", "acme", "--since", "yesterday"])
    assert bad.exit_code == 2 and "yesterday" in bad.output
    assert cli.invoke(args=["audit", "list", "--tenant", "acme", "--action", "x"]).exit_code == 2


def test_export_writes_csv_and_xlsx_and_is_itself_logged(app, cli, audited, tmp_path):
    _fill(app, audited)
    count = len(entries(app, audited.id))
    out = tmp_path / "log.csv"
    result = cli.invoke(args=["audit", "export", "--tenant", "acme", "--format", "csv",
                              "-o", str(out)])
    assert result.exit_code == 0, result.output
    assert f"Wrote {count} audit entries" in result.output
    rows = list(csv.reader(io.StringIO(out.read_text(encoding="utf-8-sig"))))
    assert rows[0][:4] == ["Seq", "Time", "Actor", "Action"]
    assert len(rows) == count + 1
    assert rows[1][1].endswith("+02:00") or rows[1][1].endswith("+01:00")
    logged = entries(app, audited.id)[-1]
    assert logged.action == "exported"
    assert json.loads(logged.info) == {"what": "audit log", "format": "csv", "rows": count}

    xlsx = tmp_path / "log.xlsx"
    result = cli.invoke(args=["audit", "export", "--tenant", "acme", "--format", "xlsx",
                              "--action", "viewed", "-o", str(xlsx)])
    assert result.exit_code == 0, result.output
    sheet = load_workbook(xlsx).active
    values = list(sheet.values)
    assert values[0][3] == "Action" and [row[3] for row in values[1:]] == ["viewed", "viewed"]
    logged = entries(app, audited.id)[-1]
    assert json.loads(logged.details) == {"filters": {"action": "viewed"}}
    assert cli.invoke(args=["audit", "verify", "--tenant", "acme"]).exit_code == 0
