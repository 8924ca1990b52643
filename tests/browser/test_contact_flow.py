"""A user's day in the browser: log in, add Žiga Zupančič, find him by typing `zupancic`,
open his page, attach a PDF, log out."""

from __future__ import annotations

import re

import pytest

from tests.web.conftest import PDF

pytestmark = pytest.mark.browser


def test_log_in_create_find_open_attach_log_out(live_server, page, tmp_path):
    from playwright.sync_api import expect

    base = live_server.url
    page.goto(base + "/")
    expect(page).to_have_url(re.compile(r"/login$"))
    page.fill("#email", live_server.tenant.user_email)
    page.fill("#password", live_server.tenant.password)
    page.click("button[type=submit]")
    expect(page).to_have_url(base + "/admin/")

    page.click("nav >> text=Contacts")
    expect(page).to_have_url(re.compile(r"/admin/contacts/"))
    page.click("a.nav-link >> text=Create")
    page.fill("input[name=first_name]", "Žiga")
    page.fill("input[name=last_name]", "Zupančič")
    page.fill("input[name=email]", "ziga.zupancic@example.si")
    page.fill("textarea[name=notes]", "Srečala sva se na sejmu v Celju; želi ponudbo.")
    page.click("input[type=submit][value=Save]")
    expect(page.locator(".alert-success")).to_contain_text("Record was successfully created.")

    search = page.locator("input[name=search]")
    search.fill("zupancic")
    search.press("Enter")
    expect(page).to_have_url(re.compile(r"search=zupancic"))
    row = page.locator("table.model-list tbody tr", has_text="Zupančič")
    expect(row).to_have_count(1)
    expect(row).to_contain_text("Žiga")
    row.locator("a[title='View Record']").click()

    expect(page.locator("#record-title")).to_have_text("Žiga Zupančič")
    expect(page.locator("body")).to_contain_text("Srečala sva se na sejmu v Celju")
    pdf = tmp_path / "pogodba-žiga.pdf"
    pdf.write_bytes(PDF)
    page.set_input_files("#attachment-file", str(pdf))
    page.click("#attachment-upload")
    expect(page.locator(".alert-success")).to_contain_text("Attached 'pogodba-žiga.pdf'.")
    expect(page.locator("#attachments table")).to_contain_text("pogodba-žiga.pdf")

    page.click("#logout")
    expect(page).to_have_url(base + "/login")
    expect(page.locator(".alert")).to_contain_text("You are logged out.")
    page.goto(base + "/admin/contacts/")
    expect(page).to_have_url(re.compile(r"/login\?next=/admin/contacts/"))
