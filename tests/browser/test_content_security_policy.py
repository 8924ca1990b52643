"""The strict Content-Security-Policy in a real browser: the main pages load without a single
violation, and what used inline handlers still works (deleting a row after confirming,
bulk actions, the filter menu, a consent's withdrawal)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from core.db import db
from core.models import Contact
from tests.browser.conftest import seeding
from tests.support import BUILTIN_PLUGINS

pytestmark = pytest.mark.browser

# Chromium reports each violation as a `securitypolicyviolation` event; this page script
# (run by the browser's automation, outside the page's policy) logs each one
REPORT_VIOLATIONS = """
document.addEventListener('securitypolicyviolation', function (event) {
  console.error('csp-violation ' + event.violatedDirective + ' ' + event.blockedURI
                + ' line ' + event.lineNumber);
});
"""
NAMES = [("Žiga", "Zupančič"), ("Ana", "Tajnik"), ("Bor", "Kralj"), ("Cene", "Lipar")]


def _seed(tmp_path: Path, tenant_id: int) -> dict[str, int]:
    """Enable every plugin for the tenant and add four contacts (by first name: id)."""
    with seeding(tmp_path, tenant_id, *BUILTIN_PLUGINS):
        contacts = [Contact(first_name=first, last_name=last,
                            email=f"{first.lower()}@primer.si".replace("ž", "z"))
                    for first, last in NAMES]
        db.session.add_all(contacts)
        db.session.commit()
        return {c.first_name: c.id for c in contacts}


def test_main_pages_raise_no_csp_violation_and_confirmations_still_work(
        live_server, page, tmp_path):
    from playwright.sync_api import expect

    ids = _seed(tmp_path, live_server.tenant.id)
    base = live_server.url
    problems: list[str] = []
    page.on("console", lambda message: problems.append(message.text)
            if "csp-violation" in message.text or "Content Security Policy" in message.text
            else None)
    page.on("pageerror", lambda error: problems.append(f"script error: {error}"))
    dialogs: list[str] = []
    answers = iter([False, True, True])

    def answer(dialog):
        dialogs.append(dialog.message)
        (dialog.accept if next(answers) else dialog.dismiss)()

    page.on("dialog", answer)
    page.add_init_script(REPORT_VIOLATIONS)

    page.goto(base + "/login")
    page.click("button[type=submit]")  # empty: the fields are marked with Bootstrap's icons
    expect(page.locator("#email.is-invalid")).to_have_count(1)
    page.fill("#email", live_server.tenant.admin_email)
    page.fill("#password", live_server.tenant.password)
    page.click("button[type=submit]")
    expect(page).to_have_url(base + "/admin/")

    page.goto(base + f"/admin/contacts/details/?id={ids['Žiga']}")
    expect(page.locator("#record-title")).to_have_text("Žiga Zupančič")
    expect(page.locator(".crm-panel")).not_to_have_count(0)

    # the edit form with its Select2 widgets (company, tags)
    page.goto(base + f"/admin/contacts/edit/?id={ids['Žiga']}")
    expect(page.locator("input[name=first_name]")).to_have_value("Žiga")
    page.locator(".select2-container").first.click()
    page.keyboard.press("Escape")

    page.goto(base + "/admin/contacts/")
    rows = page.locator("table.model-list tbody tr")
    expect(rows).to_have_count(4)

    # the filter menu of the overridden list layout opens and adds a filter
    page.click("a.nav-link >> text=Add Filter")
    page.locator(".field-filters a.filter").first.click()
    expect(page.locator("table.filters tr")).to_have_count(1)
    assert page.url.endswith("/admin/contacts/"), "a menu link must not navigate"

    # the current tab is a `javascript:void(0)` placeholder of Flask-Admin: clicking it
    # must neither run it (a violation) nor leave the page
    page.click("a.nav-link.active >> text=List")
    assert page.url.endswith("/admin/contacts/")

    # a row's delete button asks first: "no" keeps the row, "yes" deletes it
    ana = rows.filter(has_text="Tajnik")
    ana.locator("button[title='Delete Record']").click()
    expect(rows).to_have_count(4)
    ana.locator("button[title='Delete Record']").click()
    expect(page.locator(".alert-success")).to_contain_text("successfully deleted")
    expect(rows).to_have_count(3)
    expect(page.locator("table.model-list")).not_to_contain_text("Tajnik")

    # bulk action: tick Bor and Cene, "With selected" -> "Delete", confirm
    for last in ("Kralj", "Lipar"):
        rows.filter(has_text=last).locator("input.action-checkbox").check()
    page.click("a.nav-link >> text=With selected")
    page.click("a.dropdown-item[data-crm-action=delete]")
    expect(page.locator(".alert-success")).to_contain_text("2")
    expect(rows).to_have_count(1)
    expect(rows.first).to_contain_text("Zupančič")

    assert dialogs == ["Are you sure you want to delete this record?"] * 2 + [
        "Delete the selected records?"]
    assert re.search(r"/admin/contacts/", page.url)
    assert problems == []
