"""Double opt-in in the browser: a visitor fills the public form, the confirmation mail is
read from the instance folder, its link opened and confirmed; a tenant user then sees the
consent on the contact page; the visitor withdraws it through the mail's other link."""

from __future__ import annotations

import re
from email import policy
from email.parser import BytesParser
from pathlib import Path

import pytest
from sqlalchemy import select

from core.db import db
from plugins.gdpr_consents.consents import notice_hash
from plugins.gdpr_consents.intake.webform.models import WebForm
from plugins.gdpr_consents.models import Purpose
from tests.browser.conftest import seeding

pytestmark = pytest.mark.browser

NOTICE = "Acme d.o.o. pošilja novice tistim, ki to želijo. Soglasje lahko kadar koli prekličete."


def _seed(tmp_path: Path, tenant_id: int) -> None:
    """Enable the consents plugin and add the form `novice` (newsletter, events)."""
    with seeding(tmp_path, tenant_id, "gdpr_consents"):
        purposes = list(db.session.scalars(select(Purpose).where(
            Purpose.code.in_(["newsletter", "events"]))))
        db.session.add(WebForm(slug="novice", title="Novice Acme", notice_text=NOTICE,
                               notice_version="2025-1", notice_hash=notice_hash(NOTICE),
                               thank_you_text="Hvala, prijava je potrjena.",
                               purposes=purposes))
        db.session.commit()


def _links(tmp_path: Path) -> tuple[str, str]:
    """The confirm and the consents link of the one mail in the instance folder."""
    [path] = (tmp_path / "instance" / "mail").glob("*.eml")
    message = BytesParser(policy=policy.default).parsebytes(path.read_bytes())
    text = message.get_body(("plain",)).get_content()
    confirm = re.search(r"http://\S+/f/acme/confirm/\S+", text).group(0)
    manage = re.search(r"http://\S+/f/acme/consents/\S+", text).group(0)
    return confirm, manage


def test_fill_confirm_see_on_the_contact_page_and_withdraw(live_server, page, tmp_path):
    from playwright.sync_api import expect

    base = live_server.url
    _seed(tmp_path, live_server.tenant.id)

    page.goto(base + "/f/acme/novice")
    expect(page.locator("h2")).to_have_text("Novice Acme")
    expect(page.locator("#notice")).to_contain_text("Soglasje lahko kadar koli prekličete.")
    page.fill("#email", "Mojca.Zupancic@Example.si")
    page.fill("#first_name", "Mojca")
    page.fill("#last_name", "Zupančič")
    page.check("#purpose-newsletter")
    page.click("button[type=submit]")
    expect(page.locator("#message")).to_contain_text("Check your e-mail")

    confirm, manage = _links(tmp_path)
    assert confirm.startswith(base)
    page.goto(confirm)
    expect(page.locator("#confirm-form")).to_contain_text("mojca.zupancic@example.si")
    page.click("#confirm")
    expect(page.locator("#confirmed")).to_contain_text("Hvala, prijava je potrjena.")

    page.goto(base + "/login")
    page.fill("#email", live_server.tenant.user_email)
    page.fill("#password", live_server.tenant.password)
    page.click("button[type=submit]")
    expect(page).to_have_url(base + "/admin/")
    page.goto(base + "/admin/contacts/?search=zupancic")
    page.locator("table.model-list tbody tr", has_text="Zupančič").locator(
        "a[title='View Record']").click()
    newsletter = page.locator("#gdpr-purpose-newsletter")
    expect(newsletter).to_have_attribute("data-state", "granted")
    expect(newsletter).to_contain_text("web_form: web form novice")
    contact_page = page.url

    page.goto(manage)
    row = page.locator("#consent-newsletter")
    expect(row).to_contain_text("granted")
    row.locator("button", has_text="Withdraw").click()
    expect(page.locator("#notice")).to_contain_text("Your consent to 'Newsletter' is withdrawn.")
    expect(page.locator("#consent-newsletter")).to_contain_text("withdrawn")

    page.goto(contact_page)
    expect(page.locator("#gdpr-purpose-newsletter")).to_have_attribute("data-state", "withdrawn")
