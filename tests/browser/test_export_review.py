"""Right of access in the browser: open a contact, "Export personal data", untick an
internal note on the review page, download the Word file and check the note is not in it."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from pathlib import Path

import pytest

from core.db import db
from core.models import Activity, Contact
from tests.browser.conftest import seeding
from tests.plugins.export.files import docx_text

pytestmark = pytest.mark.browser

NOTE = "Interno: ne pošiljaj stranki"


def _seed(tmp_path: Path, tenant_id: int) -> int:
    """Enable the plugin and add Ann and Joann through a second app on the server's file."""
    with seeding(tmp_path, tenant_id, "export"):
        ann = Contact(first_name="Ann", last_name="Kos Čšž", email="ann@x.si")
        joann = Contact(first_name="Joann", last_name="Žagar", email="joann@x.si")
        db.session.add_all([ann, joann])
        db.session.add_all([
            Activity(subject="Klic glede ponudbe", participants=[ann],
                     occurred_at=datetime(2025, 3, 3, 9, 0, tzinfo=UTC)),
            Activity(subject=NOTE, participants=[ann],
                     occurred_at=datetime(2025, 3, 4, 9, 0, tzinfo=UTC)),
            Activity(subject="Samo Joann", participants=[joann]),
        ])
        db.session.commit()
        return ann.id


def test_review_untick_and_download(live_server, page, tmp_path):
    from playwright.sync_api import expect

    base = live_server.url
    ann_id = _seed(tmp_path, live_server.tenant.id)
    page.goto(base + "/login")
    page.fill("#email", live_server.tenant.user_email)
    page.fill("#password", live_server.tenant.password)
    page.click("button[type=submit]")
    expect(page).to_have_url(base + "/admin/")

    page.goto(f"{base}/admin/contacts/details/?id={ann_id}")
    page.click("#export-personal-data")
    expect(page).to_have_url(re.compile(rf"/admin/export/contact/{ann_id}$"))
    page.wait_for_load_state()  # the review's script listens to the boxes once loaded
    expect(page.locator("#export-title")).to_contain_text("Ann Kos Čšž")
    activities = page.locator("fieldset[data-key=activities]")
    expect(activities.locator("tr.export-item")).to_have_count(2)
    expect(page.locator("body")).not_to_contain_text("Samo Joann")

    note = page.get_by_role("checkbox", name=re.compile(f"Include Activities: .*{NOTE}"))
    note.uncheck()
    expect(activities.locator("tr.export-left-out")).to_have_count(1)

    with page.expect_download() as info:
        page.click("#download-docx")
    download = info.value
    assert download.suggested_filename.startswith("personal-data-ann-kos-csz-")
    target = tmp_path / download.suggested_filename
    download.save_as(target)
    text = docx_text(target.read_bytes())
    assert "Ann Kos Čšž" in text and "Klic glede ponudbe" in text
    assert NOTE not in text and "Joann" not in text
