"""The register of subject requests: due dates, extensions, the admin list, erasure."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from core.clock import utcnow
from core.db import db
from core.scoping import tenant_scope
from plugins.export import register
from plugins.export.models import (
    ExportRecord,
    RequestChannel,
    RequestKind,
    RequestStatus,
    SubjectRequest,
)
from tests.plugins.export.conftest import contact
from tests.support import csrf_token, logged_in

ZONE = "Europe/Ljubljana"


def _add(received: datetime, email: str = "ann@x.si", **fields) -> SubjectRequest:
    return register.add_request(kind=fields.pop("kind", RequestKind.ACCESS),
                                received_at=received, requester_email=email, time_zone=ZONE,
                                **fields)


@pytest.mark.parametrize(("received", "due"), [
    # 31 January 10:00 local + 1 month = 28 February 10:00 local (clamped)
    (datetime(2025, 1, 31, 9, 0, tzinfo=UTC), datetime(2025, 2, 28, 9, 0, tzinfo=UTC)),
    # the local calendar decides: 31 March 23:30 UTC is 1 April 01:30 in Ljubljana
    (datetime(2025, 3, 31, 23, 30, tzinfo=UTC), datetime(2025, 4, 30, 23, 30, tzinfo=UTC)),
    # across the change to summer time: same local wall-clock time a month later
    (datetime(2025, 3, 15, 11, 0, tzinfo=UTC), datetime(2025, 4, 15, 10, 0, tzinfo=UTC)),
])
def test_due_one_month_after_receipt_in_the_local_calendar(app, people, in_acme, received,
                                                           due):
    request = _add(received)
    assert request.due_at == due
    assert request.contact_id == people.ann  # matched by the exact address


def test_extension_up_to_two_months_with_a_reason(app, people, in_acme):
    request = _add(datetime(2025, 1, 31, 9, 0, tzinfo=UTC))
    request.extension_months = 2
    with pytest.raises(register.RequestError, match="reason"):
        register.prepare(request, ZONE)
    request.extension_reason = "Many requests at once"
    register.prepare(request, ZONE)
    assert request.due_at == datetime(2025, 4, 30, 8, 0, tzinfo=UTC)
    request.extension_months = 3
    with pytest.raises(register.RequestError, match="at most 2 months"):
        register.prepare(request, ZONE)


def test_a_received_time_in_the_future_is_refused(app, people, in_acme):
    with pytest.raises(register.RequestError) as refused:
        _add(datetime(2099, 1, 1, tzinfo=UTC))
    assert str(refused.value) == ("Received: 2099-01-01 01:00 lies in the future; enter when "
                                  "the request arrived.")
    assert _add(utcnow() + timedelta(minutes=1)).id  # another machine's clock may be ahead


def test_future_received_dates_are_refused_on_the_command_line_and_the_form(app, cli, people,
                                                                           acme):
    added = cli.invoke(args=["export", "requests", "add", "access", "--tenant", "acme",
                             "--email", "ann@x.si", "--received", "2099-01-01"])
    assert added.exit_code == 1
    assert added.output == ("Error: Received: 2099-01-01 00:00 lies in the future; enter when "
                            "the request arrived.\n")
    client = logged_in(app, acme.admin_email)
    form = {"csrf_token": csrf_token(client, "/admin/export_requests/new/"), "kind": "access",
            "received_at": "2099-01-01T10:00", "channel": "letter", "requester_email": "ann@x.si",
            "extension_months": "0", "status": "open"}
    refused = client.post("/admin/export_requests/new/", data=form)
    assert refused.status_code == 200
    assert "Received: 2099-01-01 10:00 lies in the future" in refused.get_data(as_text=True)
    with app.app_context(), tenant_scope(acme.id):
        assert db.session.scalar(select(SubjectRequest)) is None


def test_closing_sets_the_time_and_overdue_needs_an_open_request(app, people, in_acme):
    request = _add(datetime(2020, 1, 1, tzinfo=UTC), email="joann@x.si")
    assert request.is_overdue() and request.contact_id == people.joann
    request.status = RequestStatus.DONE
    register.prepare(request, ZONE)
    assert request.closed_at is not None and not request.is_overdue()


def test_a_persons_requests_are_part_of_their_export_and_erasure_redacts_them(app, people,
                                                                             in_acme):
    _add(datetime(2025, 1, 31, 9, 0, tzinfo=UTC), requester_name="Ann Kos")
    _add(datetime(2025, 1, 31, 9, 0, tzinfo=UTC), email="joann@x.si", requester_name="Joann")
    db.session.add(ExportRecord(actor="x", what="subject data", file_format="docx",
                                subject_label="Ann Kos", contact_id=people.ann))
    db.session.flush()
    ann = contact(people.ann)
    sections = register.subject_sections(in_acme, ann)
    assert len(sections[0].rows) == 1 and sections[0].rows[0][1] == "access (Art. 15)"
    lines = register.subject_erased(in_acme, ann)
    assert lines == ["1 subject request(s) kept without the requester's details",
                     "1 export record(s) no longer name the person"]
    kept = db.session.scalars(select(SubjectRequest).order_by(SubjectRequest.id)).all()
    assert (kept[0].requester_name, kept[0].requester_email) == (
        f"erased person #{people.ann}", None)
    assert kept[1].requester_name == "Joann"
    assert db.session.scalar(select(ExportRecord.subject_label)) == f"contact #{people.ann}"


def test_admin_list_shows_open_requests_soonest_first_overdue_marked(app, people, acme):
    with app.app_context(), tenant_scope(acme.id):
        late = _add(datetime(2020, 5, 1, tzinfo=UTC), email="late@x.si").id
        soon = _add(utcnow() - timedelta(days=1), email="soon@x.si").id
        done = _add(datetime(2021, 1, 1, tzinfo=UTC), email="done@x.si")
        done.status = RequestStatus.DONE
        register.prepare(done, ZONE)
        done_id = done.id
        db.session.commit()
    client = logged_in(app, acme.admin_email)
    html = client.get("/admin/export_requests/").get_data(as_text=True)
    shown = re.findall(r"/admin/export_requests/edit/\?id=(\d+)", html)
    assert list(dict.fromkeys(shown)) == [str(late), str(soon)]
    assert html.count("overdue</span>") == 1 and "2020-06-01" in html
    everything = client.get("/admin/export_requests/?show=all").get_data(as_text=True)
    assert str(done_id) in re.findall(r"/admin/export_requests/edit/\?id=(\d+)", everything)


def test_admin_form_registers_a_request_and_refuses_a_long_extension(app, people, acme):
    client = logged_in(app, acme.admin_email)
    token = csrf_token(client, "/admin/export_requests/new/")
    form = {"csrf_token": token, "kind": "erasure", "received_at": "2025-01-31T10:00",
            "channel": "letter", "requester_name": "Ann", "requester_email": "ANN@x.si",
            "extension_months": "3", "extension_reason": "", "status": "open"}
    refused = client.post("/admin/export_requests/new/", data=form)
    assert "at most 2 months" in refused.get_data(as_text=True)
    form["extension_months"] = "0"
    saved = client.post("/admin/export_requests/new/", data=form)
    assert saved.status_code == 302
    with app.app_context(), tenant_scope(acme.id):
        request = db.session.scalar(select(SubjectRequest))
        assert request.kind == RequestKind.ERASURE
        assert request.requester_email == "ann@x.si" and request.contact_id == people.ann
        # typed in local time: 10:00 in Ljubljana is 09:00 UTC; due 28 Feb, same time
        assert request.due_at == datetime(2025, 2, 28, 9, 0, tzinfo=UTC)
    page = client.get(f"/admin/contacts/details/?id={people.ann}").get_data(as_text=True)
    assert "Request #1" in page and "erasure (Art. 17), due 2025-02-28" in page


def test_another_tenants_request_is_404(app, people, acme, tenant_b):
    from tests.plugins.export.conftest import switch

    with app.app_context(), tenant_scope(acme.id):
        request_id = _add(datetime(2025, 1, 1, tzinfo=UTC)).id
        db.session.commit()
    switch(app, tenant_b.id)
    beta = logged_in(app, tenant_b.admin_email)
    assert beta.get(f"/admin/export_requests/edit/?id={request_id}").status_code == 404
    assert beta.get(f"/admin/export_requests/details/?id={request_id}").status_code == 404


def test_with_the_audit_trail_on_a_request_saves_and_its_edit_form_shows_its_values(
        app, people, acme):
    from tests.plugins.export.conftest import switch

    switch(app, acme.id, "audit")
    with app.app_context(), tenant_scope(acme.id):
        request_id = _add(datetime(2025, 1, 1, tzinfo=UTC), kind=RequestKind.ERASURE,
                          channel=RequestChannel.LETTER).id
        db.session.commit()
    client = logged_in(app, acme.admin_email)
    page = client.get(f"/admin/export_requests/edit/?id={request_id}").get_data(as_text=True)
    assert re.search(r'<option selected value="erasure">', page)
    assert re.search(r'<option selected value="letter">', page)
    assert re.search(r'<option selected value="open">', page)
    token = csrf_token(client, "/admin/export_requests/new/")
    saved = client.post("/admin/export_requests/new/", data={
        "csrf_token": token, "kind": "portability", "received_at": "2025-02-03T10:00",
        "channel": "in_person", "requester_name": "Ann", "requester_email": "ann@x.si",
        "extension_months": "0", "status": "open"})
    assert saved.status_code == 302
    with app.app_context(), tenant_scope(acme.id):
        newest = db.session.scalar(select(SubjectRequest).order_by(SubjectRequest.id.desc()))
        assert (newest.kind, newest.channel) == (RequestKind.PORTABILITY,
                                                 RequestChannel.IN_PERSON)
        assert str(newest) == f"portability request #{newest.id} of Ann"
    bogus = client.post("/admin/export_requests/new/", data={
        "csrf_token": token, "kind": "everything", "received_at": "2025-02-03T10:00",
        "channel": "email", "extension_months": "0", "status": "open"})
    assert bogus.status_code == 200 and "Not a valid choice" in bogus.get_data(as_text=True)
