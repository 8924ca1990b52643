"""Spreadsheet and Mailchimp-export import: the fixtures' right readings, idempotence,
one transaction, errors with row and column, limits, the command."""

from __future__ import annotations

import io
import json
import zipfile
from datetime import UTC, datetime
from pathlib import Path

import pytest
from openpyxl import Workbook
from sqlalchemy import func, select

from core.db import db
from core.hookspecs import hookimpl
from core.models import Contact
from plugins.audit.models import AuditEntry
from plugins.gdpr_consents.intake import importer
from plugins.gdpr_consents.intake.importer import ImportRefused, run_import, save_mapping
from plugins.gdpr_consents.intake.readers import Limits
from plugins.gdpr_consents.intake.values import CellError, read_when, read_yes_no
from plugins.gdpr_consents.intake.webhooks import add_webhook
from plugins.gdpr_consents.models import (
    Consent,
    ConsentEvent,
    ConsentState,
    ImportMapping,
    Undeliverable,
)
from plugins.gdpr_consents.validity import current_state
from tests.plugins.gdpr_consents.conftest import NOW

FIXTURES = Path(__file__).parent / "fixtures"


def utc(*parts: int) -> datetime:
    return datetime(*parts, tzinfo=UTC)


def load(name: str) -> bytes:
    return (FIXTURES / name).read_bytes()


def consents_by_email() -> dict[tuple[str, str], Consent]:
    rows = db.session.scalars(select(Consent)).all()
    return {(c.contact.email, c.purpose.code): c for c in rows}


def event_count() -> int:
    return db.session.scalar(select(func.count(ConsentEvent.id)))


def test_consents_xlsx_right_reading(actx):
    report = run_import(actx.ctx(), "consents.xlsx", load("consents.xlsx"))
    assert report.committed and not report.errors
    found = consents_by_email()
    assert set(found) == {("ana.novak@example.si", "newsletter"),
                          ("boris.kopitar@example.si", "newsletter"),
                          ("boris.kopitar@example.si", "events"),
                          ("luka.cesnik@example.net", "sms")}
    ana = found["ana.novak@example.si", "newsletter"]
    assert ana.given_at == utc(2018, 5, 25, 8, 0)
    assert ana.duration_months == 24
    assert ana.expires_at == utc(2020, 5, 25, 8, 0)
    assert current_state(ana, NOW) == ConsentState.EXPIRED
    assert (ana.source, ana.source_detail) == ("import", "trade fair")
    for code in ("newsletter", "events"):
        boris = found["boris.kopitar@example.si", code]
        assert boris.given_at == utc(2019, 1, 31, 23, 0)  # 2019-02-01 00:00 in Ljubljana
        assert boris.duration_months == 36
        assert boris.expires_at == utc(2022, 1, 31, 23, 0)
    luka = found["luka.cesnik@example.net", "sms"]
    assert luka.given_at == utc(2021, 7, 7, 12, 30)
    assert luka.duration_months == 12
    assert luka.expires_at == utc(2022, 7, 7, 12, 30)
    assert db.session.scalar(select(func.count(Contact.id))) == 3
    assert (report.count("created"), report.count("rejected")) == (4, 0)


def test_reimport_changes_nothing(actx):
    run_import(actx.ctx(), "consents.xlsx", load("consents.xlsx"))
    events, contacts = event_count(), db.session.scalar(select(func.count(Contact.id)))
    again = run_import(actx.ctx(), "consents.xlsx", load("consents.xlsx"))
    assert again.count("unchanged") == 4
    assert event_count() == events
    assert db.session.scalar(select(func.count(Contact.id))) == contacts


def test_slovenian_excel_csv_right_reading(actx):
    report = run_import(actx.ctx(), "soglasja_excel_eu.csv", load("soglasja_excel_eu.csv"))
    assert report.committed and not report.errors
    found = consents_by_email()
    ana = found["ana.novak@example.si", "newsletter"]
    assert ana.given_at == utc(2018, 5, 24, 22, 0)  # 25 May 2018, 00:00 in Ljubljana
    assert ana.duration_months == 24
    assert ana.source_detail == "sejem"
    mojca = found["mojca.zupancic@example.com", "events"]
    assert mojca.given_at == utc(2020, 3, 3, 23, 0)  # 4 March 2020, not 3 April
    assert mojca.duration_months == 12
    jure = found["jure.skerjanc@example.org", "newsletter"]
    assert jure.state == ConsentState.REFUSED
    assert jure.given_at is None
    assert jure.refused_at == utc(2019, 11, 5, 23, 0)  # 6 November 2019
    names = {c.email: c.last_name for c in db.session.scalars(select(Contact))}
    assert names["mojca.zupancic@example.com"] == "Župančič"
    assert names["jure.skerjanc@example.org"] == "Škerjanc"


def test_empty_duration_takes_the_purpose_default(actx):
    data = "E-pošta;Namen;Datum soglasja;Trajanje (mesecev);Soglasje\r\n" \
           "eva@example.si;sms;1.2.2024;;Da\r\n"
    run_import(actx.ctx(), "s.csv", data.encode("utf-8"))
    sms = consents_by_email()["eva@example.si", "sms"]
    assert sms.duration_months == 12
    assert sms.expires_at == utc(2025, 1, 31, 23, 0)


def test_mailchimp_export_right_reading(actx):
    boris = actx.contact("boris.kopitar@example.si", first_name="Boris")
    db.session.commit()
    add_webhook(actx.ctx(), "mailchimp", "newsletter", "a1b2c3d4e5")
    db.session.commit()
    report = run_import(actx.ctx(), "export.zip", load("mailchimp_audience_export.zip"))
    assert report.committed and not report.errors
    assert "read as UTC" in " ".join(report.notes)
    found = consents_by_email()
    for email in ("ana.novak@example.si", "boris.kopitar@example.si",
                  "mojca.zupancic@example.com", "jure.skerjanc@example.org"):
        consent = found[email, "newsletter"]
        assert consent.state == ConsentState.GRANTED
        assert consent.given_at == utc(2018, 5, 25, 10, 5)  # CONFIRM_TIME, read as UTC
        assert consent.ip == "192.0.2.11"
        assert consent.source == "mailchimp"
        assert current_state(consent, NOW) == ConsentState.GRANTED
    assert found["boris.kopitar@example.si", "newsletter"].contact_id == boris.id
    assert db.session.scalar(select(func.count(Contact.id)).where(
        Contact.email == "boris.kopitar@example.si")) == 1
    luka = found["luka.cesnik@example.net", "newsletter"]
    assert luka.state == ConsentState.WITHDRAWN
    assert luka.withdrawn_at == utc(2021, 3, 1, 8, 0)
    assert ("stara.adresa@example.si", "newsletter") not in found
    mark = db.session.scalar(select(Undeliverable))
    assert (mark.email, mark.reason, mark.cleared_at) == ("stara.adresa@example.si",
                                                          "cleaned", None)
    ana = db.session.scalar(select(Contact).where(Contact.email == "ana.novak@example.si"))
    assert [t.name for t in ana.tags] == ["Newsletter", "VIP"]
    events = event_count()
    again = run_import(actx.ctx(), "export.zip", load("mailchimp_audience_export.zip"))
    assert again.count("unchanged") == len(again.rows) == 6
    assert event_count() == events


def test_mailchimp_csv_alone_with_purpose_option(actx):
    with zipfile.ZipFile(FIXTURES / "mailchimp_audience_export.zip") as archive:
        data = archive.read("unsubscribed_email_audience_export_a1b2c3d4e5.csv")
    run_import(actx.ctx(), "unsubscribed_email_audience_export_a1b2c3d4e5.csv", data,
               purpose="events")
    luka = consents_by_email()["luka.cesnik@example.net", "events"]
    assert luka.withdrawn_at == utc(2021, 3, 1, 8, 0)


def test_mailchimp_export_without_a_purpose_is_refused(actx):
    with pytest.raises(importer.ConsentInputError, match="a1b2c3d4e5"):
        run_import(actx.ctx(), "export.zip", load("mailchimp_audience_export.zip"))


def test_errors_name_row_and_column_and_nothing_is_stored(actx):
    data = ("Email,Purpose,Given at,Consent\n"
            "ok@example.si,newsletter,2024-01-02,yes\n"
            "bad@example.si,unknown,2024-01-02,yes\n"
            "maybe@example.si,newsletter,2024-01-02,perhaps\n"
            "not-an-address,newsletter,2024-01-02,yes\n"
            "late@example.si,newsletter,1/2/2024,yes\n")
    report = run_import(actx.ctx(), "errors.csv", data.encode())
    assert not report.committed
    assert report.errors == [
        "errors.csv, row 3: column Purpose: 'unknown' is not a purpose of this tenant; add "
        "it with 'crm purposes add' or fix the cell.",
        "errors.csv, row 4: column Consent: 'perhaps' is not yes or no; use Da/Ne, Yes/No, "
        "1/0, x or TRUE/FALSE.",
        report.errors[2],
        "errors.csv, row 6: column Given at: '1/2/2024' is ambiguous (day/month or "
        "month/day); choose the column's date format (dmy or mdy).",
    ]
    assert report.errors[2].startswith("errors.csv, row 5: column Email: 'not-an-address'")
    assert db.session.scalar(select(func.count(Contact.id))) == 0
    assert db.session.scalar(select(func.count(Consent.id))) == 0


def test_dry_run_lists_changes_and_stores_nothing(actx):
    report = run_import(actx.ctx(), "consents.xlsx", load("consents.xlsx"), dry_run=True)
    assert not report.committed
    assert report.rows[0].changes == ["create contact ana.novak@example.si",
                                      "grant newsletter given 2018-05-25 10:00"]
    assert db.session.scalar(select(func.count(Consent.id))) == 0
    assert db.session.scalar(select(func.count(Contact.id))) == 0
    assert event_count() == 0


def test_a_utf16_csv_is_refused_with_what_to_do(actx):
    data = "Email,Purpose\r\nana@example.si,sms\r\n".encode("utf-16")
    with pytest.raises(ImportRefused, match=r'^u\.csv: the text is UTF-16 \("Unicode text"\); '
                       r"save it as CSV UTF-8\.$"):
        run_import(actx.ctx(), "u.csv", data)
    assert db.session.scalar(select(func.count(Consent.id))) == 0


def test_windows_1250_comma_csv_and_date_format(actx):
    data = "Email,Ime,Priimek,Namen,Datum,Soglasje\r\nzan@example.si,Žan,Čop,sms,1/2/2024,x\r\n"
    run_import(actx.ctx(), "w.csv", data.encode("cp1250"), date_format="mdy")
    consent = consents_by_email()["zan@example.si", "sms"]
    assert consent.given_at == utc(2024, 1, 1, 23, 0)  # 2 January 2024 local
    assert consent.contact.first_name == "Žan"


def test_sheet_without_purpose_column_takes_the_option(actx):
    data = "email;given at\nmia@example.si;2024-03-01T10:00:00+02:00\n"
    with pytest.raises(importer.ConsentInputError, match="nope"):
        run_import(actx.ctx(), "p.csv", data.encode(), purpose="nope")
    run_import(actx.ctx(), "p.csv", data.encode(), purpose="events")
    assert consents_by_email()["mia@example.si", "events"].given_at == utc(2024, 3, 1, 8, 0)


def test_saved_mapping(actx):
    save_mapping(actx.ctx(), "fair", {"email": "Naslov", "given_at": "Kdaj"},
                 {"purpose": "events"})
    db.session.commit()
    data = "Naslov,Kdaj\nmia@example.si,3.4.2024\n"
    with pytest.raises(ImportRefused, match="no e-mail column"):
        run_import(actx.ctx(), "m.csv", data.encode(), purpose="events")
    run_import(actx.ctx(), "m.csv", data.encode(), mapping="fair")
    assert consents_by_email()["mia@example.si", "events"].given_at == utc(2024, 4, 2, 22, 0)


def test_limits(actx):
    data = load("consents.xlsx")
    with pytest.raises(ImportRefused, match="more than the limit"):
        run_import(actx.ctx(), "consents.xlsx", data, limits=Limits(max_bytes=100))
    with pytest.raises(ImportRefused, match="unpacks to"):
        run_import(actx.ctx(), "consents.xlsx", data, limits=Limits(max_uncompressed=1000))
    with pytest.raises(ImportRefused, match="more than 2 rows"):
        run_import(actx.ctx(), "consents.xlsx", data, limits=Limits(max_rows=2))
    bomb = io.BytesIO()
    with zipfile.ZipFile(bomb, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("subscribed_x_a1b2c3d4e5.csv", b"0" * 5_000_000)
    with pytest.raises(ImportRefused, match="unpacks to"):
        run_import(actx.ctx(), "bomb.zip", bomb.getvalue(),
                   limits=Limits(max_uncompressed=1024 * 1024))


def test_1904_date_system(actx):
    book = Workbook()
    book.epoch = datetime(1904, 1, 1)
    sheet = book.active
    sheet.append(["Email", "Purpose", "Given at"])
    sheet.append(["mac@example.si", "sms", datetime(2020, 6, 1, 9, 0)])
    sheet["C2"].number_format = "dd.mm.yyyy hh:mm"
    stream = io.BytesIO()
    book.save(stream)
    run_import(actx.ctx(), "mac.xlsx", stream.getvalue())
    assert consents_by_email()["mac@example.si", "sms"].given_at == utc(2020, 6, 1, 7, 0)


def test_suppressed_addresses_are_skipped(actx, monkeypatch):
    monkeypatch.setattr(importer._Run, "suppressed",
                        lambda self, email: "erased" if email.startswith("boris") else None)
    report = run_import(actx.ctx(), "consents.xlsx", load("consents.xlsx"))
    assert report.count("skipped") == 2
    assert db.session.scalar(select(func.count(Contact.id)).where(
        Contact.email == "boris.kopitar@example.si")) == 0


def test_cell_readers():
    assert read_yes_no("Da") and read_yes_no("TRUE") and read_yes_no("x") and read_yes_no(1)
    assert not read_yes_no("Ne") and not read_yes_no("") and not read_yes_no("0")
    with pytest.raises(CellError):
        read_yes_no("mogoče")
    tz = "Europe/Ljubljana"
    assert read_when("2021-03-01T08:00:00Z", tz) == utc(2021, 3, 1, 8, 0)
    assert read_when("2021-03-01 09:00", tz) == utc(2021, 3, 1, 8, 0)
    with pytest.raises(CellError):
        read_when("31.2.2021", tz)
    assert read_when(43891, tz) == utc(2020, 2, 29, 23, 0)  # Excel serial: 1 March 2020
    for serial in (-5, 0, 0.5):  # 1899-12-25, 1899-12-30, a time without a day
        with pytest.raises(CellError, match=rf"^'{serial}' is not an Excel date number \(a "
                           r"date is a positive number of days\)\.$"):
            read_when(serial, tz)
    assert read_when(1, tz, epoch=datetime(1904, 1, 1)) == utc(1904, 1, 1, 23, 0)


def xlsx(*rows: list) -> bytes:
    book = Workbook()
    for row in rows:
        book.active.append(row)
    stream = io.BytesIO()
    book.save(stream)
    return stream.getvalue()


def test_a_negative_date_number_is_an_error_naming_row_and_column(actx):
    data = xlsx(["Email", "Purpose", "Given at"], ["ok@example.si", "sms", 45000],
                ["neg@example.si", "sms", -5])
    report = run_import(actx.ctx(), "neg.xlsx", data)
    assert not report.committed
    assert report.errors == ["neg.xlsx, row 3: column Given at: '-5' is not an Excel date "
                             "number (a date is a positive number of days)."]
    assert report.summary() == (
        "Not imported: neg.xlsx: 2 rows read, 1 with errors; nothing was stored. Without them "
        "the import would create 1, update 0, leave 0 unchanged and skip 0.")
    assert db.session.scalar(select(func.count(Consent.id))) == 0


def test_a_formula_without_a_stored_result_is_named_not_called_empty(actx):
    data = xlsx(["Email", "Purpose", "Given at"],
                ['=CONCAT("ana","@example.si")', "sms", "2024-01-02"],
                ["", "sms", "2024-01-02"],
                ["bor@example.si", "=A2", "2024-01-02"])
    report = run_import(actx.ctx(), "f.xlsx", data)
    assert report.errors == [
        "f.xlsx, row 2: column Email: the cell holds a formula (=CONCAT(\"ana\","
        "\"@example.si\")) whose result the file does not store; enter the value itself (or "
        "open and save the file in Excel).",
        "f.xlsx, row 3: column Email: the e-mail address is empty.",
        "f.xlsx, row 4: column Purpose: the cell holds a formula (=A2) whose result the file "
        "does not store; enter the value itself (or open and save the file in Excel).",
    ]


def test_an_unknown_date_format_is_refused_naming_the_field(actx):
    with pytest.raises(importer.ConsentInputError) as error:
        run_import(actx.ctx(), "consents.xlsx", load("consents.xlsx"), date_format="xyz")
    assert str(error.value) == ("date_format: 'xyz' is not a date format; choose one of "
                                "auto, dmy, mdy.")
    with pytest.raises(importer.ConsentInputError, match="date_format: 'ymd'"):
        save_mapping(actx.ctx(), "fair", {"email": "Naslov"}, {"date_format": "ymd"})


def test_command_import_dry_run_and_json(app, acme, cli, tmp_path):
    path = tmp_path / "consents.xlsx"
    path.write_bytes(load("consents.xlsx"))
    result = cli.invoke(args=["consents", "import", str(path), "--tenant", "acme",
                              "--dry-run"])
    assert result.exit_code == 0, result.output
    assert ("Preview of consents.xlsx: 4 rows read; nothing was stored. The import would "
            "create 4, update 0, leave 0 unchanged and skip 0.") in result.output
    assert result.stderr == ""  # no progress bar when stderr is not a terminal
    result = cli.invoke(args=["consents", "import", str(path), "--tenant", "acme", "--json"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.output)["created"] == 4
    bad = tmp_path / "bad.csv"
    bad.write_text("Email,Purpose,Given at\nx@example.si,nope,2024-01-01\n")
    result = cli.invoke(args=["consents", "import", str(bad), "--tenant", "acme"])
    assert result.exit_code == 1
    assert "bad.csv, row 2: column Purpose: 'nope' is not a purpose" in result.output
    assert ("Not imported: bad.csv: 1 rows read, 1 with errors; nothing was stored. Without "
            "them the import would create 0, update 0, leave 0 unchanged and skip 0."
            ) in result.output
    assert "Error: bad.csv: 1 rows have errors; nothing was imported." in result.output
    unknown = cli.invoke(args=["consents", "import", str(path), "--tenant", "acme",
                               "--date-format", "xyz"])
    assert unknown.exit_code == 2 and "'xyz' is not one of 'auto', 'dmy', 'mdy'" in (
        unknown.output)


def test_command_template(app, acme, cli, tmp_path):
    out = tmp_path / "template.xlsx"
    result = cli.invoke(args=["consents", "template", "--tenant", "acme", "-o", str(out)])
    assert result.exit_code == 0, result.output
    with app.app_context(), acme.scope():
        report = run_import(acme.ctx(), "template.xlsx", out.read_bytes(), dry_run=True)
    assert not report.errors and len(report.rows) == 3


class ImportRecorder:
    """Hears `crm_records_imported` (registered on the app's plugin manager)."""

    def __init__(self) -> None:
        self.calls: list[tuple] = []

    @hookimpl
    def crm_records_imported(self, ctx, what, file_name, rows_read, created, updated,
                             rejected) -> None:
        """Keep the counts."""
        self.calls.append((what, file_name, rows_read, created, updated, rejected))


def test_the_import_is_reported_through_the_core_hook(app, actx):
    recorder = ImportRecorder()
    app.extensions["crm"]["plugins"].pm.register(recorder, name="import_recorder")
    run_import(actx.ctx(), "consents.xlsx", load("consents.xlsx"), dry_run=True)
    run_import(actx.ctx(), "consents.xlsx", load("consents.xlsx"))
    run_import(actx.ctx(), "consents.xlsx", load("consents.xlsx"))
    assert recorder.calls == [("consents (dry run)", "consents.xlsx", 4, 4, 0, 0),
                              ("consents", "consents.xlsx", 4, 4, 0, 0),
                              ("consents", "consents.xlsx", 4, 0, 0, 0)]


class ConsentChangeRecorder:
    """A plugin that keeps what `crm_consent_changed` gets."""

    def __init__(self) -> None:
        self.calls: list[tuple] = []

    @hookimpl
    def crm_consent_changed(self, ctx, consent, event) -> None:
        """Keep the consent's and the entry's ids and kinds, as loaded."""
        self.calls.append((consent.contact.email, consent.purpose.code, consent.state,
                           event.consent_id == consent.id, event.kind.value))


def test_each_change_of_an_import_reaches_crm_consent_changed(app, actx):
    recorder = ConsentChangeRecorder()
    app.extensions["crm"]["plugins"].pm.register(recorder, name="consent_recorder")
    run_import(actx.ctx(), "consents.xlsx", load("consents.xlsx"))
    assert sorted(recorder.calls) == [
        ("ana.novak@example.si", "newsletter", ConsentState.GRANTED, True, "grant"),
        ("boris.kopitar@example.si", "events", ConsentState.GRANTED, True, "grant"),
        ("boris.kopitar@example.si", "newsletter", ConsentState.GRANTED, True, "grant"),
        ("luka.cesnik@example.net", "sms", ConsentState.GRANTED, True, "grant")]


def test_the_audit_trail_records_every_row_an_import_creates(app, actx):
    host = app.extensions["crm"]["plugins"]
    host.enable(actx.ctx(), "audit")
    db.session.commit()
    run_import(actx.ctx(actor="cli:importer"), "consents.xlsx", load("consents.xlsx"))
    created = [e for e in db.session.scalars(select(AuditEntry).order_by(AuditEntry.seq))
               if e.action == "created"]
    contacts = {c.id: c for c in db.session.scalars(select(Contact))}
    consents = db.session.scalars(select(Consent)).all()
    events = db.session.scalars(select(ConsentEvent)).all()
    by_target = {(e.target_type, e.target_id): e for e in created}
    assert len(created) == len(contacts) + len(consents) + len(events) == 3 + 4 + 4
    for contact in contacts.values():
        entry = by_target["contact", contact.id]
        assert (entry.label, entry.contact_id, entry.actor) == (
            str(contact), contact.id, "cli:importer")
        assert json.loads(entry.details)["values"]["email"] == contact.email
    for consent in consents:
        entry = by_target["gdpr_consents_consent", consent.id]
        assert (entry.label, entry.contact_id) == (str(consent), consent.contact_id)
        values = json.loads(entry.details)["values"]
        assert (values["state"], values["source"]) == ("granted", "import")
    for event in events:
        entry = by_target["gdpr_consents_event", event.id]
        assert (entry.label, entry.contact_id) == (str(event), event.contact_id)


@pytest.mark.parametrize("dimension", ["A1", "A1:C2"])
def test_rows_beyond_a_stale_dimension_tag_are_read(actx, dimension):
    # streaming writers put a one-cell <dimension>; an edited file may keep an old one
    data = xlsx(["Email", "Purpose", "Given at"],
                *[[f"p{n}@example.si", "sms", "2021-03-01"] for n in range(5)])
    source, patched = zipfile.ZipFile(io.BytesIO(data)), io.BytesIO()
    with zipfile.ZipFile(patched, "w") as target:
        for info in source.infolist():
            body = source.read(info)
            if info.filename == "xl/worksheets/sheet1.xml":
                assert b'<dimension ref="A1:C6"/>' in body
                body = body.replace(b'<dimension ref="A1:C6"/>',
                                    f'<dimension ref="{dimension}"/>'.encode())
            target.writestr(info, body)
    report = run_import(actx.ctx(), "stale.xlsx", patched.getvalue())
    assert report.committed, report.errors
    assert sorted(email for email, _ in consents_by_email()) == [
        f"p{n}@example.si" for n in range(5)]


def test_an_over_long_name_is_a_row_error_not_cut(actx):
    book = Workbook()
    sheet = book.active
    sheet.append(["Email", "Purpose", "Given at", "First name"])
    sheet.append(["ok@example.si", "sms", "2024-01-01", "Mia"])
    sheet.append(["big@example.si", "sms", "2024-01-01", "A" * 1000])
    stream = io.BytesIO()
    book.save(stream)
    report = run_import(actx.ctx(), "bigname.xlsx", stream.getvalue())
    assert not report.committed
    assert report.errors == ["bigname.xlsx, row 3: column First name: at most 128 characters "
                             "(the cell has 1000)."]
    assert db.session.scalar(select(func.count(Contact.id))) == 0


def test_an_over_long_mailchimp_name_is_a_row_error(actx):
    stream = io.BytesIO()
    with zipfile.ZipFile(stream, "w") as archive:
        archive.writestr("subscribed_members_export_a1b2c3d4e5.csv",
                         "Email Address,First Name,Last Name,OPTIN_TIME,LEID\n"
                         f"ana@example.si,Ana,{'N' * 129},2024-01-01 10:00:00,1\n")
    report = run_import(actx.ctx(), "export.zip", stream.getvalue(), purpose="newsletter")
    assert report.errors == ["subscribed_members_export_a1b2c3d4e5.csv, row 2: column Last "
                             "Name: at most 128 characters (the cell has 129)."]
    assert db.session.scalar(select(func.count(Contact.id))) == 0


def test_a_mapping_of_an_unknown_field_is_refused_and_not_saved(app, acme, cli):
    answer = cli.invoke(args=["consents", "mapping", "m3", "--tenant", "acme",
                              "--column", "email=Naslov", "--column", "bogus=X"])
    assert answer.exit_code == 1
    assert answer.output == (
        "Error: column: 'bogus' is not a field of an import row (fields: email, first_name, "
        "last_name, phone, purpose, source, given_at, duration_months, expires_at, consent, "
        "note).\n")
    with app.app_context(), acme.scope():
        assert db.session.scalar(select(func.count(ImportMapping.id))) == 0


def test_a_csv_row_with_cells_beyond_the_header_is_refused_naming_it(actx):
    data = ("Email,Purpose,Given at,,\r\nok@example.si,sms,2024-01-01,,\r\n"
            "rag@example.com,newsletter,2024-01-01,extra,more\r\n")
    with pytest.raises(ImportRefused, match=(
            r"^rag\.csv: row 3 has 5 cells, the header row 3 \(beyond it: 'extra', 'more'\); "
            r"a separator inside a value needs quotes\.$")):
        run_import(actx.ctx(), "rag.csv", data.encode())
    assert db.session.scalar(select(func.count(Consent.id))) == 0


def test_a_file_that_is_no_sheet_is_refused_by_its_name(actx):
    with pytest.raises(ImportRefused, match=r"^notes\.md: a \.md file is not a sheet to "
                       r"import; give an XLSX workbook, a CSV file or a Mailchimp export "
                       r"ZIP\.$"):
        run_import(actx.ctx(), "notes.md", b"# Notes\nEmail,Purpose\n")
    assert db.session.scalar(select(func.count(Consent.id))) == 0
