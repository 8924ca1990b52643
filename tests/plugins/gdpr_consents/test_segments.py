"""Segments: the right contacts around expiry and withdrawal instants, across time zones,
without trashed, undeliverable or role addresses; filters; saved segments; exports."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime, timedelta

import pytest
from openpyxl import load_workbook
from sqlalchemy import select

from core.db import db
from core.models import Company, Tag
from plugins.gdpr_consents import consents, segments
from plugins.gdpr_consents.deliverability import clear_undeliverable, mark_undeliverable
from plugins.gdpr_consents.errors import ConsentInputError
from plugins.gdpr_consents.models import Consent
from plugins.gdpr_consents.purposes import create_purpose

from .conftest import enable_consents

SECOND = timedelta(seconds=1)


def members(ctx, purposes="newsletter", **options) -> list[str]:
    spec = segments.build_spec(ctx, purposes, **options)
    emails = [c.email for c in segments.page(ctx, spec, size=1000)]
    assert segments.count(ctx, spec) == len(emails)
    return sorted(emails)


@pytest.fixture
def people(actx):
    """A small population of acme with consents in every state."""
    ctx = actx.ctx()
    made = {}

    def add(email, **fields):
        made[email] = actx.contact(email, **fields)
        return made[email]

    consents.grant(ctx, add("ana@firma.si", last_name="Novak"), "newsletter",
                   given_at="2025-01-10", duration_months=1)          # ends 2025-02-10 00:00
    bor = consents.grant(ctx, add("bor@gmail.com", last_name="Bor"), "newsletter",
                         given_at="2025-01-01")
    consents.withdraw(ctx, bor, withdrawn_at=datetime(2025, 3, 1, 12, 0, tzinfo=UTC))
    consents.grant(ctx, add("cene@firma.si", last_name="Cene"), "newsletter",
                   given_at="2025-01-01")
    consents.refuse(ctx, add("dana@firma.si"), "newsletter", refused_at="2025-01-01")
    consents.request_confirmation(ctx, add("eva@firma.si"), "newsletter",
                                  requested_at="2025-01-01", source="manual")
    add("info@firma.si")                                                # role, no consent
    withdrawn_role = consents.grant(ctx, add("prodaja@firma.si"), "newsletter",
                                    given_at="2025-01-01")
    consents.withdraw(ctx, withdrawn_role, withdrawn_at="2025-02-01")
    consents.grant(ctx, add("office@firma.si"), "newsletter", given_at="2025-01-01")
    trashed = add("tone@firma.si")
    consents.grant(ctx, trashed, "newsletter", given_at="2025-01-01")
    trashed.deleted_at = datetime(2025, 4, 1, tzinfo=UTC)
    gone = consents.grant(ctx, add("urh@firma.si"), "newsletter", given_at="2025-01-01")
    gone.deleted_at = datetime(2025, 4, 1, tzinfo=UTC)                 # a trashed consent
    consents.grant(ctx, add("vid@firma.si"), "newsletter", given_at="2025-01-01")
    mark_undeliverable(ctx, "vid@firma.si", reason="hard bounce", source="mailchimp")
    db.session.commit()
    return made


def test_members_around_expiry_and_withdrawal_instants(actx, people):
    ctx = actx.ctx()
    expires = datetime(2025, 2, 9, 23, 0, tzinfo=UTC)  # 2025-02-10 00:00 in Ljubljana
    assert "ana@firma.si" in members(ctx, as_of=expires - SECOND)
    assert "ana@firma.si" not in members(ctx, as_of=expires)
    assert "ana@firma.si" in members(ctx, as_of="2025-02-09")
    assert "ana@firma.si" not in members(ctx, as_of="2025-02-10")
    withdrawn = datetime(2025, 3, 1, 12, 0, tzinfo=UTC)
    assert "bor@gmail.com" in members(ctx, as_of=withdrawn - SECOND)
    assert "bor@gmail.com" not in members(ctx, as_of=withdrawn)
    given = datetime(2024, 12, 31, 23, 0, tzinfo=UTC)  # 2025-01-01 00:00 in Ljubljana
    assert "cene@firma.si" not in members(ctx, as_of=given - SECOND)
    assert "cene@firma.si" in members(ctx, as_of=given)


def test_only_valid_live_deliverable_personal_addresses(actx, people):
    ctx = actx.ctx()
    assert members(ctx, as_of="2025-02-15") == ["bor@gmail.com", "cene@firma.si"]
    # role addresses when asked: those without an objection, consent or not
    assert members(ctx, as_of="2025-02-15", include_role_addresses=True) == [
        "bor@gmail.com", "cene@firma.si", "info@firma.si", "office@firma.si"]
    clear_undeliverable(ctx, "vid@firma.si")
    assert "vid@firma.si" in members(ctx, as_of="2025-02-15")


def test_the_same_date_is_a_different_instant_per_tenant(app, acme, beta_ny):
    moment = datetime(2025, 3, 1, 2, 0, tzinfo=UTC)  # 03:00 in Ljubljana, 21:00 on 28 Feb in NY
    results = {}
    for tenant in (acme, beta_ny):
        with app.app_context(), tenant.scope():
            ctx = tenant.ctx()
            consents.grant(ctx, tenant.contact(f"p@{tenant.slug}.si"), "newsletter",
                           given_at=moment)
            db.session.commit()
            results[tenant.slug] = members(ctx, as_of="2025-03-01")
    assert results == {"acme": [], "beta": ["p@beta.si"]}


def test_new_york_expiry_across_the_dst_change(app, beta_ny):
    with app.app_context(), beta_ny.scope():
        ctx = beta_ny.ctx()
        consents.grant(ctx, beta_ny.contact("q@beta.com"), "newsletter",
                       given_at="2025-03-01", duration_months=1)  # ends 1 April 00:00 EDT
        assert members(ctx, as_of="2025-03-31T23:59:59-04:00") == ["q@beta.com"]
        assert members(ctx, as_of="2025-04-01") == []
        assert members(ctx, as_of="2025-04-01T03:59:59+00:00") == ["q@beta.com"]


def test_all_or_any_of_several_purposes_company_and_tag(actx):
    ctx = actx.ctx()
    firma = Company(name="Firma d.o.o.", tenant_id=actx.id)
    vip = Tag(name="VIP", tenant_id=actx.id)
    db.session.add_all([firma, vip])
    both = actx.contact("both@firma.si", company=firma, tags=[vip])
    one = actx.contact("one@firma.si", company=firma)
    for contact, codes in ((both, ["newsletter", "events"]), (one, ["newsletter"])):
        for code in codes:
            consents.grant(ctx, contact, code, given_at="2025-01-01")
    db.session.commit()
    assert members(ctx, "newsletter,events") == ["both@firma.si"]
    assert members(ctx, ["newsletter", "events"], match_all=False) == [
        "both@firma.si", "one@firma.si"]
    assert members(ctx, "newsletter", company=firma.id) == ["both@firma.si", "one@firma.si"]
    assert members(ctx, "newsletter", tag="VIP") == ["both@firma.si"]
    assert members(ctx, "newsletter", tag=vip.id) == ["both@firma.si"]


@pytest.mark.parametrize(("options", "field"), [
    ({"purposes": ""}, "purposes"),
    ({"purposes": "nope"}, "purposes"),
    ({"as_of": "yesterday"}, "as_of"),
    ({"company": "abc"}, "company"),
    ({"company": 999999}, "company"),
    ({"tag": "no such tag"}, "tag"),
    ({"filters": ["unknown"]}, "filters"),
])
def test_bad_segment_options_name_the_option(actx, options, field):
    arguments = {"purposes": "newsletter", **options}
    with pytest.raises(ConsentInputError) as error:
        segments.build_spec(actx.ctx(), arguments.pop("purposes"), **arguments)
    assert error.value.field == field


def test_pages_are_ordered_by_name(actx):
    ctx = actx.ctx()
    for index in range(7):
        contact = actx.contact(f"p{index}@firma.si", last_name=f"Name{6 - index}")
        consents.grant(ctx, contact, "newsletter", given_at="2025-01-01")
    db.session.commit()
    spec = segments.build_spec(ctx, "newsletter")
    first, second = segments.page(ctx, spec, 0, 4), segments.page(ctx, spec, 1, 4)
    assert [c.last_name for c in first + second] == [f"Name{i}" for i in range(7)]
    assert segments.count(ctx, spec) == 7


def test_saved_segments_are_evaluated_when_used(actx, people):
    ctx = actx.ctx()
    spec = segments.build_spec(ctx, "newsletter", include_role_addresses=True)
    saved = segments.save_segment(ctx, "Newsletter with roles", spec)
    db.session.commit()
    with pytest.raises(ConsentInputError, match="exists already"):
        segments.save_segment(ctx, "Newsletter with roles", spec)
    with pytest.raises(ConsentInputError, match=r"^name: at most 128 characters \(this name "
                       r"has 1000\)\.$"):
        segments.save_segment(ctx, "X" * 1000, spec)
    db.session.rollback()
    again = segments.spec_of(ctx, segments.get_segment(saved.id), as_of="2025-02-15")
    assert segments.count(ctx, again) == 4
    assert [s.name for s in segments.list_segments()] == ["Newsletter with roles"]


def test_named_filters_from_another_plugin(rules_app, tenant_a):
    tenant = enable_consents(rules_app, tenant_a.slug)
    with rules_app.app_context(), tenant.scope():
        ctx = tenant.ctx()
        for email, phone in (("a@firma.si", "+386 1 000"), ("b@firma.si", None)):
            consents.grant(ctx, tenant.contact(email, phone=phone), "newsletter",
                           given_at="2025-01-01")
        db.session.commit()
        assert members(ctx, filters=["has_phone"]) == ["a@firma.si"]


def read_csv(data: bytes) -> list[list[str]]:
    assert data.startswith(b"\xef\xbb\xbf")
    return list(csv.reader(io.StringIO(data.decode("utf-8-sig"), newline="")))


def test_csv_and_xlsx_exports_are_neutralised_and_reported(rules_app, tenant_a, tmp_path):
    tenant = enable_consents(rules_app, tenant_a.slug)
    with rules_app.app_context(), tenant.scope():
        ctx = tenant.ctx()
        create_purpose("evil", "=HYPERLINK(\"http://x\")", default_months=12)
        contact = tenant.contact("evil@firma.si", first_name="=1+2", last_name="@SUM(A1)")
        contact.company = Company(name="-Firma\td.o.o.", tenant_id=tenant.id)
        consents.grant(ctx, contact, "evil", given_at="2025-01-10")
        consents.grant(ctx, tenant.contact("zala@firma.si", last_name="Zupan"), "evil",
                       given_at="2025-01-11")
        db.session.commit()
        spec = segments.build_spec(ctx, "evil")
        assert segments.export(ctx, spec, "csv", tmp_path / "s.csv") == 2
        assert segments.export(ctx, spec, "xlsx", tmp_path / "s.xlsx") == 2

    header, first, second = read_csv((tmp_path / "s.csv").read_bytes())
    assert header == ["email", "first_name", "last_name", "company", "email_class",
                      "'=HYPERLINK(\"http://x\") (evil): given at",
                      "'=HYPERLINK(\"http://x\") (evil): expires at"]
    assert first[:5] == ["evil@firma.si", "'=1+2", "'@SUM(A1)", "'-Firma\td.o.o.",
                         "personal_company"]
    assert first[5:] == ["2025-01-10T00:00:00+01:00", "2026-01-10T00:00:00+01:00"]
    assert second[0] == "zala@firma.si"

    sheet = load_workbook(tmp_path / "s.xlsx").active
    rows = [[cell.value for cell in row] for row in sheet.iter_rows()]
    assert rows[0][5] == "'=HYPERLINK(\"http://x\") (evil): given at"
    assert rows[1][1:4] == ["'=1+2", "'@SUM(A1)", "'-Firma\td.o.o."]
    assert all(cell.data_type != "f" for row in sheet.iter_rows() for cell in row)
    assert rows[1][5] == datetime(2025, 1, 10, 0, 0)  # local time of the tenant

    reported = rules_app.extensions["acme_exports"]
    assert [(what, fmt, count) for what, fmt, count, _ in reported] == [
        ("segment evil", "csv", 2), ("segment evil", "xlsx", 2)]
    assert reported[0][3]["purposes"] == ["evil"]


def test_export_refuses_an_unknown_format(actx, tmp_path):
    spec = segments.build_spec(actx.ctx(), "newsletter")
    with pytest.raises(ConsentInputError) as error:
        segments.export(actx.ctx(), spec, "pdf", tmp_path / "x.pdf")
    assert error.value.field == "format"
    assert not (tmp_path / "x.pdf").exists()


def test_personal_contacts_without_marketing_consent(actx, people):
    ctx = actx.ctx(at=datetime(2025, 2, 15, tzinfo=UTC))
    rows = db.session.scalars(segments.unconsented_personal_query(ctx)).all()
    emails = sorted(c.email for c in rows)
    assert "info@firma.si" not in emails and "cene@firma.si" not in emails
    assert {"ana@firma.si", "dana@firma.si", "eva@firma.si"} <= set(emails)
    assert "tone@firma.si" not in emails  # trashed
    assert db.session.scalar(select(Consent.id).where(Consent.id == -1)) is None
