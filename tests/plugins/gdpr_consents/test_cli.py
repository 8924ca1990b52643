"""The commands: purposes, consents (list JSON, grant, withdraw, expire), segments export;
exit codes and one-sentence errors; the toggle; the demo."""

from __future__ import annotations

import csv
import io
import json
import re

from openpyxl import load_workbook
from sqlalchemy import func, select

from core.db import db
from core.models import Attachment, Contact, Tenant
from core.scoping import all_tenants, tenant_scope
from plugins.gdpr_consents.models import Consent, ConsentEvent

ISO_WITH_OFFSET = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d[+-]\d\d:\d\d$")


def enable(cli, slug="acme"):
    result = cli.invoke(args=["plugins", "enable", "gdpr_consents", "--tenant", slug])
    assert result.exit_code == 0, result.output


def add_contacts(app, tenant_id, *emails):
    with app.app_context(), tenant_scope(tenant_id):
        for email in emails:
            db.session.add(Contact(email=email, first_name=email.split("@")[0].title(),
                                   tenant_id=tenant_id))
        db.session.commit()


def test_commands_need_the_plugin_enabled(cli, tenant_a):
    result = cli.invoke(args=["purposes", "list", "--tenant", "acme"])
    assert result.exit_code == 1
    assert result.output.strip() == (
        "Error: The gdpr_consents plugin is not enabled for tenant 'acme'; enable it with "
        "'crm plugins enable gdpr_consents --tenant acme'.")


def test_purposes_add_and_list(cli, tenant_a):
    enable(cli)
    added = cli.invoke(args=["purposes", "add", "webinars", "--tenant", "acme", "--name",
                             "Webinarji", "--basis", "legitimate_interests", "--months", "6"])
    assert added.exit_code == 0, added.output
    assert "Art. 6(1)(f)" in added.output
    listed = json.loads(cli.invoke(args=["purposes", "list", "--tenant", "acme",
                                         "--json"]).output)
    assert [p["code"] for p in listed] == ["events", "newsletter", "sms", "webinars"]
    webinars = listed[-1]
    assert webinars["legal_basis"] == "legitimate_interests"
    assert webinars["needs_consent"] is False and webinars["default_months"] == 6
    again = cli.invoke(args=["purposes", "add", "webinars", "--tenant", "acme", "--name", "X"])
    assert again.exit_code == 1
    assert again.output.strip() == "Error: code: a purpose 'webinars' exists already."
    months = cli.invoke(args=["purposes", "add", "x", "--tenant", "acme", "--name", "X",
                              "--months", "1,5"])
    assert months.exit_code == 1 and "months" in months.output
    basis = cli.invoke(args=["purposes", "add", "y", "--tenant", "acme", "--name", "Y",
                             "--basis", "whim"])
    assert basis.exit_code == 2


def test_consents_grant_list_withdraw_and_history(app, cli, tenant_a, tmp_path):
    enable(cli)
    add_contacts(app, tenant_a.id, "ana@firma.si", "bor@gmail.com")
    scan = tmp_path / "podpis.pdf"
    scan.write_bytes(b"%PDF-1.4\n%%EOF\n")
    granted = cli.invoke(args=["consents", "grant", "ANA@firma.si", "newsletter", "--tenant",
                               "acme", "--given-at", "2025-01-31", "--months", "1",
                               "--detail", "sejem", "--proof", str(scan)])
    assert granted.exit_code == 0, granted.output
    assert "until 2025-02-28 00:00" in granted.output
    cli.invoke(args=["consents", "grant", "bor@gmail.com", "events", "--tenant", "acme",
                     "--given-at", "2025-03-01T10:00:00+01:00"])
    withdrawn = cli.invoke(args=["consents", "withdraw", "bor@gmail.com", "events", "--tenant",
                                 "acme", "--at", "2025-04-01T12:00:00+02:00", "--reason", "Ne."])
    assert withdrawn.exit_code == 0, withdrawn.output
    items = json.loads(cli.invoke(args=["consents", "list", "--tenant", "acme",
                                        "--json"]).output)
    assert items[0] == {
        "email": "ana@firma.si", "purpose": "newsletter", "state": "expired",
        "given_at": "2025-01-31T00:00:00+01:00", "expires_at": "2025-02-28T00:00:00+01:00",
        "withdrawn_at": None, "source": "manual"}
    assert items[1]["state"] == "withdrawn"
    assert items[1]["withdrawn_at"] == "2025-04-01T12:00:00+02:00"
    for item in items:
        for key in ("given_at", "expires_at", "withdrawn_at"):
            assert item[key] is None or ISO_WITH_OFFSET.match(item[key])
    only = json.loads(cli.invoke(args=["consents", "list", "--tenant", "acme", "--email",
                                       "bor@gmail.com", "--json"]).output)
    assert [i["email"] for i in only] == ["bor@gmail.com"]
    history = json.loads(cli.invoke(args=["consents", "history", "bor@gmail.com", "--tenant",
                                          "acme", "--json"]).output)
    assert [(h["change"], h["by"].startswith("cli:")) for h in history] == [
        ("grant", True), ("withdraw", True)]


def test_bad_input_on_the_command_line_stores_nothing(app, cli, tenant_a):
    enable(cli)
    add_contacts(app, tenant_a.id, "ana@firma.si")
    cases = [
        (["--given-at", "2025-13-01"], "given_at: '2025-13-01' is not a date"),
        (["--given-at", "2025-01-01", "--months", "2.5"],
         "duration_months: '2.5' is not a whole number of months"),
        (["--given-at", "2025-02-01", "--expires-at", "2025-01-01"],
         "expires_at: the expiry (2025-01-01 00:00) must come after"),
    ]
    for options, message in cases:
        result = cli.invoke(args=["consents", "grant", "ana@firma.si", "newsletter",
                                  "--tenant", "acme", *options])
        assert result.exit_code == 1
        assert result.output.startswith(f"Error: {message}"), result.output
    missing = cli.invoke(args=["consents", "grant", "ana@firma.si", "newsletter", "--tenant",
                               "acme"])
    assert missing.exit_code == 2  # --given-at is required
    nobody = cli.invoke(args=["consents", "grant", "nobody@firma.si", "newsletter",
                              "--tenant", "acme", "--given-at", "2025-01-01"])
    assert nobody.output.strip() == "Error: email: there is no contact nobody@firma.si."
    with app.app_context(), tenant_scope(tenant_a.id):
        assert db.session.scalar(select(func.count()).select_from(Consent)) == 0
        assert db.session.scalar(select(func.count()).select_from(ConsentEvent)) == 0


def test_expire_on_every_tenant_is_idempotent(app, cli, tenant_a, tenant_b):
    enable(cli, "acme")
    enable(cli, "beta")
    add_contacts(app, tenant_a.id, "ana@firma.si")
    add_contacts(app, tenant_b.id, "bor@firma.si")
    for slug, email in (("acme", "ana@firma.si"), ("beta", "bor@firma.si")):
        cli.invoke(args=["consents", "grant", email, "sms", "--tenant", slug, "--given-at",
                         "2023-01-01"])
    first = cli.invoke(args=["consents", "expire"])
    assert first.exit_code == 0
    assert first.output.splitlines() == ["acme: 1 consent(s) expired.",
                                         "beta: 1 consent(s) expired."]
    second = cli.invoke(args=["consents", "expire", "--tenant", "acme"])
    assert second.output.strip() == "acme: 0 consent(s) expired."


def test_segments_export_csv_and_xlsx(app, cli, tenant_a, tmp_path):
    enable(cli)
    add_contacts(app, tenant_a.id, "ana@firma.si", "info@firma.si", "bor@gmail.com")
    for email in ("ana@firma.si", "info@firma.si"):
        cli.invoke(args=["consents", "grant", email, "newsletter", "--tenant", "acme",
                         "--given-at", "2025-01-10"])
    target = tmp_path / "newsletter.csv"
    result = cli.invoke(args=["segments", "export", "newsletter", "--tenant", "acme",
                              "--format", "csv", "-o", str(target), "--as-of", "2025-02-01"])
    assert result.exit_code == 0, result.output
    rows = list(csv.reader(io.StringIO(target.read_bytes().decode("utf-8-sig"))))
    assert [r[0] for r in rows] == ["email", "ana@firma.si"]
    before = cli.invoke(args=["segments", "count", "newsletter", "--tenant", "acme",
                              "--as-of", "2025-01-09"])
    assert before.output.strip() == "0"
    roles = cli.invoke(args=["segments", "count", "newsletter", "--tenant", "acme",
                             "--include-role-addresses"])
    assert roles.output.strip() == "2"
    book = tmp_path / "newsletter.xlsx"
    xlsx = cli.invoke(args=["segments", "export", "newsletter", "--tenant", "acme",
                            "--format", "xlsx", "-o", str(book)])
    assert xlsx.exit_code == 0
    sheet = load_workbook(book).active
    assert [row[0].value for row in sheet.iter_rows()] == ["email", "ana@firma.si"]
    bad = cli.invoke(args=["segments", "export", "nope", "--tenant", "acme", "--format",
                           "csv", "-o", str(tmp_path / "x.csv")])
    assert bad.exit_code == 1 and "purposes: there is no purpose 'nope'" in bad.output
    assert not (tmp_path / "x.csv").exists()
    bad_date = cli.invoke(args=["segments", "count", "newsletter", "--tenant", "acme",
                                "--as-of", "1.2.2025"])
    assert bad_date.exit_code == 1 and bad_date.output.startswith("Error: as_of:")


def test_receipt_and_undeliverable_commands(app, cli, tenant_a, tmp_path):
    enable(cli)
    add_contacts(app, tenant_a.id, "ana@firma.si")
    cli.invoke(args=["consents", "grant", "ana@firma.si", "newsletter", "--tenant", "acme",
                     "--given-at", "2025-01-10"])
    with app.app_context(), tenant_scope(tenant_a.id):
        consent_id = db.session.scalar(select(Consent.id))
    out = tmp_path / "receipt.json"
    result = cli.invoke(args=["consents", "receipt", str(consent_id), "--tenant", "acme",
                              "-o", str(out)])
    assert result.exit_code == 0, result.output
    assert json.loads(out.read_text())["version"] == "KI-CR-v1.1.0"
    missing = cli.invoke(args=["consents", "receipt", "999999", "--tenant", "acme"])
    assert missing.exit_code == 1 and "no consent #999999" in missing.output
    marked = cli.invoke(args=["consents", "undeliverable", "ana@firma.si", "--tenant", "acme",
                              "--reason", "hard bounce"])
    assert marked.exit_code == 0
    count = cli.invoke(args=["segments", "count", "newsletter", "--tenant", "acme"])
    assert count.output.strip() == "0"
    cli.invoke(args=["consents", "undeliverable", "ana@firma.si", "--tenant", "acme",
                     "--clear"])
    assert cli.invoke(args=["segments", "count", "newsletter", "--tenant",
                            "acme"]).output.strip() == "1"


def test_demo_defines_the_three_purposes_with_consents(app, cli):
    result = cli.invoke(args=["demo"])
    assert result.exit_code == 0, result.output
    purposes = json.loads(cli.invoke(args=["purposes", "list", "--tenant", "demo",
                                           "--json"]).output)
    assert [p["code"] for p in purposes] == ["events", "newsletter", "sms"]
    states = {i["state"] for i in json.loads(cli.invoke(args=["consents", "list", "--tenant",
                                                              "demo", "--json"]).output)}
    assert {"granted", "withdrawn", "refused", "pending", "expired"} <= states
    again = cli.invoke(args=["demo"])
    assert again.exit_code == 0
    with app.app_context():
        with all_tenants():
            demo_id = db.session.scalar(select(Tenant.id).where(Tenant.slug == "demo"))
        with tenant_scope(demo_id):
            actors = set(db.session.scalars(select(ConsentEvent.actor)))
    assert len(actors) == 1 and actors.pop().startswith("cli:")  # who added them


def test_consents_rectify_corrects_with_a_reason_and_keeps_the_old_values(
        app, cli, tenant_a):
    enable(cli)
    add_contacts(app, tenant_a.id, "ana@firma.si")
    granted = cli.invoke(args=["consents", "grant", "ana@firma.si", "newsletter", "--tenant",
                               "acme", "--given-at", "2025-03-21", "--months", "120",
                               "--detail", "sejm"])
    assert granted.exit_code == 0, granted.output
    base = ["consents", "rectify", "ana@firma.si", "newsletter", "--tenant", "acme"]
    for args, message in (
        (["--given-at", "2025-03-12"], "Missing option '--reason'"),
        (["--reason", "typo"], "Error: consent: nothing to correct; give at least one of"),
        (["--reason", "typo", "--months", "1.5"],
         "Error: duration_months: '1.5' is not a whole number of months"),
        (["--reason", "typo", "--detail", "sejm"],
         "Error: consent: nothing to correct: the consent has these values already."),
    ):
        result = cli.invoke(args=[*base, *args])
        assert result.exit_code in (1, 2) and message in result.output, result.output
    result = cli.invoke(args=[*base, "--reason", "date on the signed form", "--given-at",
                              "2025-03-12", "--detail", "sejem Celje"])
    assert result.exit_code == 0, result.output
    assert "is corrected (given 2025-03-12 00:00, until 2035-03-12 00:00)" in result.output
    history = json.loads(cli.invoke(args=["consents", "history", "ana@firma.si", "--tenant",
                                          "acme", "--json"]).output)
    assert [e["change"] for e in history] == ["grant", "rectify"]
    rectified = history[-1]
    assert rectified["reason"] == "date on the signed form"
    assert rectified["by"].startswith("cli:")
    assert rectified["corrected"]["source_detail"] == {"before": "sejm", "after": "sejem Celje"}
    assert rectified["corrected"]["given_at"]["before"].startswith("2025-03-20T23:00")
    assert rectified["corrected"]["given_at"]["after"].startswith("2025-03-11T23:00")
    assert history[0]["corrected"] == {}


def test_consents_refuse_with_a_proof_and_a_bad_file_stores_nothing(app, cli, tenant_a,
                                                                    tmp_path):
    enable(cli)
    add_contacts(app, tenant_a.id, "ne@firma.si")
    args = ["consents", "refuse", "ne@firma.si", "sms", "--tenant", "acme", "--at",
            "2025-04-02", "--detail", "sejem"]
    exe = tmp_path / "ne.pdf"
    exe.write_bytes(b"MZ" + b"\x00" * 300)
    bad = cli.invoke(args=[*args, "--proof", str(exe)])
    assert bad.exit_code == 1
    assert bad.output.startswith("Error: proof: 'ne.pdf' is not an allowed file type")
    with app.app_context(), tenant_scope(tenant_a.id):
        assert db.session.scalar(select(func.count()).select_from(Consent)) == 0
        assert db.session.scalar(select(func.count()).select_from(Attachment)) == 0
    scan = tmp_path / "podpis-ne.pdf"
    scan.write_bytes(b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n")
    result = cli.invoke(args=[*args, "--proof", str(scan)])
    assert result.exit_code == 0, result.output
    assert "Refusal of ne@firma.si for 'sms' is recorded." in result.output
    listed = json.loads(cli.invoke(args=["consents", "list", "--tenant", "acme", "--email",
                                         "ne@firma.si", "--json"]).output)
    assert [(c["purpose"], c["state"], c["given_at"]) for c in listed] == [
        ("sms", "refused", None)]
    with app.app_context(), tenant_scope(tenant_a.id):
        [proof] = db.session.scalars(select(Attachment)).all()
        assert (proof.owner_type, proof.filename) == ("gdpr_consents.consent", "podpis-ne.pdf")
