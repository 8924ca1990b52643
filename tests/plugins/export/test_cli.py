"""`crm export subject|company|requests` on the command line."""

from __future__ import annotations

import json
from pathlib import Path

from sqlalchemy import select

from core.db import db
from core.scoping import tenant_scope
from plugins.export.models import ExportRecord, SubjectRequest
from tests.plugins.export.conftest import INTERNAL_NOTE, OTHERS, TRASHED, switch
from tests.plugins.export.files import all_values, docx_text


def test_subject_export_to_each_format(cli, people, tmp_path, exports):
    for fmt in ("docx", "xlsx", "json"):
        out = tmp_path / f"ann.{fmt}"
        result = cli.invoke(args=["export", "subject", " ANN@x.si ", "--tenant", "acme",
                                  "--format", fmt, "-o", str(out)])
        assert result.exit_code == 0, result.output
        assert f"Wrote {out}" in result.output
        data = out.read_bytes()
        text = {"docx": docx_text, "xlsx": all_values,
                "json": lambda d: d.decode("utf-8")}[fmt](data)
        assert "ann@x.si" in text and "Klic Ann" in text and INTERNAL_NOTE in text
        for absent in (TRASHED, *OTHERS):
            assert absent not in text
    assert [c["details"]["via"] for c in exports.calls] == ["cli"] * 3
    assert exports.calls[0]["ctx"].actor.startswith("cli:")
    assert not list(tmp_path.glob(".ann.*"))  # no temporary file left behind


def test_leave_out_a_section_and_answer_a_request(app, cli, people, acme, tmp_path):
    added = cli.invoke(args=["export", "requests", "add", "access", "--tenant", "acme",
                             "--email", "Ann@X.si", "--received", "2025-01-31"])
    assert added.exit_code == 0, added.output
    assert "due 2025-02-28" in added.output
    out = tmp_path / "ann.json"
    result = cli.invoke(args=["export", "subject", "ann@x.si", "--tenant", "acme", "--format",
                              "json", "-o", str(out), "--leave-out", "activities",
                              "--request", "1"])
    assert result.exit_code == 0, result.output
    keys = [s["key"] for s in json.loads(out.read_text("utf-8"))["sections"]]
    assert "activities" not in keys and "profile" in keys
    with app.app_context(), tenant_scope(acme.id):
        request = db.session.scalar(select(SubjectRequest))
        record = db.session.scalar(select(ExportRecord))
        assert request.answered_by_export_id == record.id
        assert request.contact_id == people.ann
        assert record.details["left_out"] == ["activities:*"]


def test_list_sections(cli, people):
    result = cli.invoke(args=["export", "subject", "ann@x.si", "--tenant", "acme",
                              "--list-sections"])
    assert result.exit_code == 0, result.output
    assert "activities" in result.output and "4 row(s)" in result.output


def test_unknown_address_is_one_sentence_and_exit_1(cli, people, tmp_path):
    out = tmp_path / "x.docx"
    result = cli.invoke(args=["export", "subject", "an@x.si", "--tenant", "acme",
                              "--format", "docx", "-o", str(out)])
    assert result.exit_code == 1
    lines = result.output.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("Error: No contact has the address an@x.si")
    assert not out.exists()


def test_bad_usage_is_exit_2(cli, people, tmp_path):
    out = str(tmp_path / "x.docx")
    invalid = cli.invoke(args=["export", "subject", "not an address", "--tenant", "acme",
                               "--format", "docx", "-o", out])
    assert invalid.exit_code == 2
    fmt = cli.invoke(args=["export", "subject", "ann@x.si", "--tenant", "acme",
                           "--format", "pdf", "-o", out])
    assert fmt.exit_code == 2
    missing = cli.invoke(args=["export", "subject", "ann@x.si", "--tenant", "acme"])
    assert missing.exit_code == 2


def test_tenant_without_the_plugin_or_unknown_tenant(app, cli, people, tenant_b, tmp_path):
    out = str(tmp_path / "x.docx")
    off = cli.invoke(args=["export", "subject", "ann@x.si", "--tenant", "beta", "--format",
                           "docx", "-o", out])
    assert off.exit_code == 1 and "not enabled for tenant 'beta'" in off.output
    unknown = cli.invoke(args=["export", "subject", "ann@x.si", "--tenant", "nope",
                               "--format", "docx", "-o", out])
    assert unknown.exit_code == 1 and "no tenant 'nope'" in unknown.output
    switch(app, tenant_b.id)
    beta = cli.invoke(args=["export", "subject", "ann@x.si", "--tenant", "beta", "--format",
                            "docx", "-o", out])
    assert beta.exit_code == 0, beta.output
    text = docx_text(Path(out).read_bytes())
    assert "Beta Ann" in text and "Klic Ann" not in text and "Lipa" not in text


def test_company_export(cli, people, tmp_path):
    out = tmp_path / "lipa.xlsx"
    result = cli.invoke(args=["export", "company", "Lipa d.o.o.", "--tenant", "acme",
                              "--format", "xlsx", "-o", str(out)])
    assert result.exit_code == 0, result.output
    text = all_values(out.read_bytes())
    assert "joann@x.si" in text and "ann@x.si" in text and "Samo Joann" in text
    assert TRASHED not in text and "Beta Ann" not in text
    missing = cli.invoke(args=["export", "company", "Nobody", "--tenant", "acme",
                               "--format", "xlsx", "-o", str(out)])
    assert missing.exit_code == 1 and "No company 'Nobody'" in missing.output


def test_requests_list(cli, people):
    for received in ("2025-01-31", "2020-01-01"):
        cli.invoke(args=["export", "requests", "add", "erasure", "--tenant", "acme",
                         "--email", "someone@else.si", "--received", received])
    result = cli.invoke(args=["export", "requests", "list", "--tenant", "acme", "--json"])
    assert result.exit_code == 0, result.output
    items = json.loads(result.output)
    assert [i["due_at"][:10] for i in items] == ["2020-02-01", "2025-02-28"]
    assert items[0]["overdue"] is True and items[0]["contact_id"] is None
    plain = cli.invoke(args=["export", "requests", "list", "--tenant", "acme"])
    assert "OVERDUE" in plain.output.splitlines()[0]
