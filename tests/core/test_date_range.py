"""Dates the one clock cannot hold (year 1 before UTC, year 9999 after it) are refused with
one sentence everywhere a date is typed: the commands, the segment page, the list filters."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from core.clock import parse_as_of, start_of_day
from core.db import db
from core.models import Contact
from core.scoping import tenant_scope
from tests.support import csrf_token, logged_in

OUT_OF_RANGE = "is out of range; give a date between 0001-01-03 and 9999-12-29"


@pytest.mark.parametrize("typed", [
    "0001-01-01", "9999-12-31", "0001-01-02T05:00", "9999-12-30T23:00-05:00",
])
def test_parse_as_of_refuses_dates_out_of_range_with_one_sentence(typed):
    with pytest.raises(ValueError, match=f"^'{typed}' {OUT_OF_RANGE}$"):
        parse_as_of(typed, "Europe/Ljubljana")


def test_the_first_and_last_day_are_still_read():
    assert parse_as_of("0001-01-03T00:00+14:00", "Europe/Ljubljana") == datetime(
        1, 1, 2, 10, 0, tzinfo=UTC)
    assert parse_as_of("9999-12-29T23:59-12:00", "Europe/Ljubljana") == datetime(
        9999, 12, 30, 11, 59, tzinfo=UTC)
    assert parse_as_of("9999-12-29", "Europe/Ljubljana") == datetime(
        9999, 12, 28, 23, 0, tzinfo=UTC)
    with pytest.raises(ValueError, match=f"^'0001-01-01' {OUT_OF_RANGE}$"):
        start_of_day(date(1, 1, 1), "Europe/Ljubljana")


def _enable(cli, *plugins: str) -> None:
    for name in plugins:
        result = cli.invoke(args=["plugins", "enable", name, "--tenant", "acme"])
        assert result.exit_code == 0, result.output


def test_segment_commands_refuse_year_one(cli, tenant_a, tmp_path):
    _enable(cli, "gdpr_consents")
    count = cli.invoke(args=["segments", "count", "newsletter", "--tenant", "acme",
                             "--as-of", "0001-01-01"])
    assert count.exit_code == 1
    assert count.output.strip() == f"Error: as_of: '0001-01-01' {OUT_OF_RANGE}"
    target = tmp_path / "x.csv"
    export = cli.invoke(args=["segments", "export", "newsletter", "--tenant", "acme",
                              "--format", "csv", "-o", str(target), "--as-of", "0001-01-01"])
    assert export.exit_code == 1 and OUT_OF_RANGE in export.output
    assert not target.exists()


def test_consent_commands_refuse_dates_out_of_range(app, cli, tenant_a):
    _enable(cli, "gdpr_consents")
    with app.app_context(), tenant_scope(tenant_a.id):
        db.session.add(Contact(email="ana@firma.si", first_name="Ana", tenant_id=tenant_a.id))
        db.session.commit()
    grant = cli.invoke(args=["consents", "grant", "ana@firma.si", "newsletter", "--tenant",
                             "acme", "--given-at", "0001-01-01"])
    assert grant.exit_code == 1
    assert grant.output.strip() == f"Error: given_at: '0001-01-01' {OUT_OF_RANGE}."
    expiry = cli.invoke(args=["consents", "grant", "ana@firma.si", "newsletter", "--tenant",
                              "acme", "--given-at", "2025-01-10", "--expires-at", "9999-12-31"])
    assert expiry.exit_code == 1
    assert expiry.output.strip() == f"Error: expires_at: '9999-12-31' {OUT_OF_RANGE}."
    assert cli.invoke(args=["consents", "grant", "ana@firma.si", "newsletter", "--tenant",
                            "acme", "--given-at", "2025-01-10"]).exit_code == 0
    withdraw = cli.invoke(args=["consents", "withdraw", "ana@firma.si", "newsletter",
                                "--tenant", "acme", "--at", "0001-01-01"])
    assert withdraw.exit_code == 1
    assert withdraw.output.strip() == f"Error: withdrawn_at: '0001-01-01' {OUT_OF_RANGE}."


def test_audit_list_refuses_year_one(cli, tenant_a):
    _enable(cli, "audit")
    result = cli.invoke(args=["audit", "list", "--tenant", "acme", "--since", "0001-01-01"])
    assert result.exit_code == 2
    assert (f"Error: Invalid value for --since: '0001-01-01' {OUT_OF_RANGE}"
            in result.output)
    assert "Traceback" not in result.output


def test_segment_page_answers_400_for_year_one(app, cli, tenant_a):
    _enable(cli, "gdpr_consents")
    client = logged_in(app, tenant_a.admin_email)
    page = client.get("/admin/gdpr_consents_segments/?purposes=newsletter&as_of=0001-01-01")
    assert page.status_code == 400
    assert f"&#39;0001-01-01&#39; {OUT_OF_RANGE}" in page.get_data(as_text=True)
    export = client.get("/admin/gdpr_consents_segments/export?purposes=newsletter&format=csv"
                        "&as_of=0001-01-01")
    assert export.status_code == 400


def test_consent_form_answers_400_for_year_one(app, cli, tenant_a):
    _enable(cli, "gdpr_consents")
    with app.app_context(), tenant_scope(tenant_a.id):
        contact = Contact(email="ana@firma.si", first_name="Ana", tenant_id=tenant_a.id)
        db.session.add(contact)
        db.session.commit()
        contact_id = contact.id
    client = logged_in(app, tenant_a.admin_email)
    token = csrf_token(client, f"/admin/contacts/details/?id={contact_id}")
    added = client.post(f"/admin/gdpr_consents_contact/{contact_id}/add", data={
        "csrf_token": token, "purpose": "newsletter", "given_at": "0001-01-01"})
    assert added.status_code == 400
    assert OUT_OF_RANGE in added.get_data(as_text=True)


@pytest.mark.parametrize("query", [
    "flt0_created_on=0001-01-01", "flt0_created_before=0001-01-01",
    "flt0_created_on=9999-12-29", "flt0_created_on_or_after=9999-12-31",
])
def test_day_filters_out_of_range_are_a_message_not_a_500(app, tenant_a, query):
    client = logged_in(app, tenant_a.user_email)
    page = client.get(f"/admin/contacts/?{query}")
    assert page.status_code == 200
    assert "Invalid Filter Value" in page.get_data(as_text=True)
