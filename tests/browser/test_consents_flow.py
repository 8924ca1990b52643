"""A tenant admin's consent work in the browser: switch the consents plugin on, define a
purpose, add two contacts, record a newsletter consent with a scanned form, see it in the
panel and the history, correct it, withdraw the other one, build the newsletter segment
and export it as CSV."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pytest

from tests.web.conftest import PDF

pytestmark = pytest.mark.browser


def log_in(page, base, email, password):
    page.goto(base + "/login")
    page.fill("#email", email)
    page.fill("#password", password)
    page.click("button[type=submit]")


def create_contact(page, base, first, last, email):
    """Create a contact on the admin pages and open its page."""
    from playwright.sync_api import expect

    page.goto(base + "/admin/contacts/new/")
    page.fill("input[name=first_name]", first)
    page.fill("input[name=last_name]", last)
    page.fill("input[name=email]", email)
    page.click("input[type=submit][value=Save]")
    expect(page.locator(".alert-success")).to_contain_text("Record was successfully created.")
    page.locator("table.model-list tbody tr", has_text=email).locator(
        "a[title='View Record']").click()
    expect(page.locator("#gdpr-consent-overview")).to_be_visible()


def add_consent(page, given_on, detail, proof=None):
    page.select_option("#gdpr-purpose", "newsletter")
    page.fill("#gdpr-given-at", given_on)
    page.fill("#gdpr-detail", detail)
    if proof is not None:
        page.set_input_files("#gdpr-proof", str(proof))
    page.click("#gdpr-add-consent-submit")


def test_purpose_consent_with_scan_history_withdraw_and_newsletter_segment(
        live_server, page, tmp_path):
    from playwright.sync_api import expect

    base = live_server.url
    log_in(page, base, live_server.tenant.admin_email, live_server.tenant.password)
    expect(page).to_have_url(base + "/admin/")

    page.goto(base + "/admin/plugins/")
    page.locator("#plugin-gdpr_consents button[type=submit]").click()
    expect(page.locator("#plugin-gdpr_consents")).to_contain_text("Disable")

    page.goto(base + "/admin/gdpr_consents_purposes/new/")
    page.fill("input[name=code]", "webinars")
    page.fill("input[name=name]", "Webinarji")
    page.select_option("select[name=legal_basis]", "consent", force=True)  # under select2
    page.fill("input[name=default_months]", "12")
    page.click("input[type=submit][value=Save]")
    expect(page.locator("table.model-list")).to_contain_text("Webinarji")

    given_on = (datetime.now(UTC).date() - timedelta(days=10)).isoformat()
    create_contact(page, base, "Bojan", "Kralj", "bojan.kralj@gmail.com")
    add_consent(page, given_on, "sejem")
    expect(page.locator("#gdpr-purpose-newsletter")).to_have_attribute("data-state", "granted")
    page.wait_for_load_state()  # the page's script asks before a withdrawal once loaded
    page.fill("#gdpr-purpose-newsletter input[name=reason]", "Ne želi več novic.")
    asked: list[str] = []
    page.once("dialog", lambda dialog: (asked.append(dialog.message), dialog.accept()))
    page.click("#gdpr-withdraw-newsletter")
    expect(page.locator(".alert-success")).to_contain_text("The consent is withdrawn.")
    expect(page.locator("#gdpr-purpose-newsletter")).to_have_attribute("data-state",
                                                                       "withdrawn")
    assert asked == ["Withdraw this consent?"]
    history = page.locator("#gdpr-consent-history")
    expect(history.locator("tbody tr")).to_have_count(2)
    expect(history.locator("tbody tr").first).to_contain_text("withdraw")
    expect(history).to_contain_text("Ne želi več novic.")

    create_contact(page, base, "Ana", "Novak", "ana.novak@firma.si")
    expect(page.locator("#gdpr-purpose")).to_contain_text("Webinarji")
    scan = tmp_path / "podpisana-privolitev.pdf"
    scan.write_bytes(PDF)
    add_consent(page, given_on, "sejm", proof=scan)
    expect(page.locator(".alert-success")).to_contain_text("Consent for 'Newsletter'")
    row = page.locator("#gdpr-purpose-newsletter")
    expect(row).to_have_attribute("data-state", "granted")
    expect(row).to_contain_text("podpisana-privolitev.pdf")
    expect(row).to_contain_text("manual: sejm")
    expect(page.locator("#gdpr-consent-history")).to_contain_text("grant")
    expect(page.locator("#gdpr-consent-history")).to_contain_text(
        f"user:{live_server.tenant.admin_email}")
    with page.expect_download() as download:
        row.locator("a", has_text="podpisana-privolitev.pdf").click()
    assert download.value.path().read_bytes() == PDF

    page.click("#gdpr-rectify-newsletter")
    page.fill("#gdpr-rectify-detail", "sejem Celje")
    page.fill("#gdpr-rectify-reason", "tipkarska napaka")
    page.click("#gdpr-rectify-submit")
    expect(page.locator(".alert-success")).to_contain_text("corrected")
    expect(page.locator("#gdpr-consent-history")).to_contain_text(
        "source_detail: sejm → sejem Celje")

    page.goto(base + "/admin/gdpr_consents_segments/")
    page.select_option("#gdpr-segment-purposes", "newsletter")
    page.click("#gdpr-segment-show")
    expect(page.locator("#gdpr-segment-count")).to_contain_text("1 contact(s)")
    members = page.locator("#gdpr-segment-members")
    expect(members).to_contain_text("ana.novak@firma.si")
    expect(members).not_to_contain_text("bojan.kralj@gmail.com")
    with page.expect_download() as download:
        page.click("#gdpr-export-csv")
    exported = download.value.path().read_text(encoding="utf-8-sig")
    assert re.search(r"^email", exported, re.MULTILINE | re.IGNORECASE)
    assert "ana.novak@firma.si" in exported and "bojan.kralj" not in exported
