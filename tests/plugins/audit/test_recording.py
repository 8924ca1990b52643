"""Events are recorded end to end, in the same transaction as the action they describe."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import delete, select, update
from sqlalchemy.exc import IntegrityError

from core.db import db
from core.events import context, emit
from core.models import Contact, Tenant, User
from core.records import delete_record
from core.scoping import all_tenants
from plugins.audit import chain
from plugins.audit.models import AuditEntry, AuditEntryReadOnly
from plugins.audit.verify import verify_chain
from tests.plugins.audit.conftest import acting, entries, switch


def _actions(app, tenant_id):
    return [(e.seq, e.action) for e in entries(app, tenant_id)]


def test_the_cli_toggle_and_orm_changes_are_recorded(app, cli, tenant_a):
    enabled = cli.invoke(args=["plugins", "enable", "audit", "--tenant", "acme"])
    assert enabled.exit_code == 0, enabled.output
    with acting(app, tenant_a):
        contact = Contact(first_name="Ana", last_name="Novak", email="ana@firma.si")
        db.session.add(contact)
        db.session.commit()
        contact.last_name = "Novak Kranjc"
        contact.phone = "+386 1 234 5678"
        db.session.commit()
        contact_id = contact.id
    trail = entries(app, tenant_a.id)
    assert [e.action for e in trail] == ["plugin_enabled", "created", "updated"]
    toggle, created, updated = trail
    assert toggle.actor.startswith("cli:") and json.loads(toggle.info) == {"plugin": "audit"}
    assert created.actor == f"user:{tenant_a.admin_email}"
    assert created.user_id == tenant_a.admin_id
    assert (created.target_type, created.target_id, created.contact_id) == (
        "contact", contact_id, contact_id)
    assert created.label == "Ana Novak"
    assert json.loads(created.details)["values"] == {
        "first_name": "Ana", "last_name": "Novak", "email": "ana@firma.si"}
    assert json.loads(updated.info) == {"fields": ["last_name", "phone"]}
    assert json.loads(updated.details)["changes"] == {
        "last_name": ["Novak", "Novak Kranjc"], "phone": [None, "+386 1 234 5678"]}
    assert updated.at.tzinfo is not None and updated.at.utcoffset().total_seconds() == 0
    assert [e.seq for e in trail] == [1, 2, 3]
    assert verify_chain_ok(app, tenant_a.id)


def verify_chain_ok(app, tenant_id):
    with app.app_context():
        report = verify_chain(tenant_id)
    assert report.ok, report.problem
    return True


def test_request_events_carry_ip_user_agent_and_request_id(app, audited):
    environ = {"REMOTE_ADDR": "192.0.2.7"}
    headers = {"User-Agent": "Mozilla/5.0 (pytest)", "X-Request-ID": "req-42"}
    app.config["TRUST_REQUEST_ID"] = True  # as behind a proxy that sets it
    with acting(app, audited):
        contact = Contact(first_name="Špela", last_name="Zupančič", email="spela@x.si")
        db.session.add(contact)
        db.session.commit()
        user = db.session.get(User, audited.admin_id)
        with app.test_request_context("/admin/contacts/", headers=headers,
                                      environ_base=environ):
            emit("crm_user_logged_in", context(), user=user)
            emit("crm_list_viewed", context(), list_name="contacts", search="zupancic",
                 filters={"tag": "customer"}, page=0, rows_shown=1)
            emit("crm_record_viewed", context(), record=contact)
            emit("crm_user_logged_out", context(), user=user)
            db.session.commit()
        contact_id = contact.id
    trail = entries(app, audited.id)[-4:]
    assert [e.action for e in trail] == ["login", "list_viewed", "viewed", "logout"]
    for entry in trail:
        assert (entry.ip, entry.user_agent, entry.request_id) == (
            "192.0.2.7", "Mozilla/5.0 (pytest)", "req-42")
    login, listed, viewed, _logout = trail
    assert (login.target_type, login.target_id, login.label) == (
        "user_account", audited.admin_id, audited.admin_email)
    assert json.loads(listed.info) == {"page": 0, "rows": 1, "filtered": True}
    assert json.loads(listed.details) == {"search": "zupancic", "filters": {"tag": "customer"}}
    assert listed.target_type == "contacts"
    assert (viewed.target_type, viewed.target_id, viewed.label) == (
        "contact", contact_id, "Špela Zupančič")
    assert verify_chain_ok(app, audited.id)


def test_a_failed_login_of_an_unknown_address_goes_to_the_platform_chain(app, cli, audited):
    with app.app_context(), app.test_request_context(environ_base={"REMOTE_ADDR": "203.0.113.9"}):
        emit("crm_login_failed", context(tenant=None, actor="anonymous"),
             email="nobody@nowhere.si", reason="unknown_user")
        with all_tenants():
            tenant = db.session.scalar(select(Tenant).where(Tenant.id == audited.id))
        emit("crm_login_failed", context(tenant=tenant, actor="anonymous"),
             email=audited.user_email, reason="bad_password")
        db.session.commit()
    (platform,) = entries(app, None)
    assert platform.tenant_id is None and platform.seq == 1
    assert (platform.action, platform.label, platform.ip) == (
        "login_failed", "nobody@nowhere.si", "203.0.113.9")
    assert json.loads(platform.info) == {"reason": "unknown_user"}
    tenant_entry = entries(app, audited.id)[-1]
    assert (tenant_entry.action, tenant_entry.label) == ("login_failed", audited.user_email)
    # the password is never passed, so it cannot be stored; nothing resembling one is there
    assert "password" not in (platform.details or "") + (platform.info or "")
    verified = cli.invoke(args=["audit", "verify", "--platform"])
    assert verified.exit_code == 0, verified.output
    assert "intact: 1 entry" in verified.output


def test_secrets_are_never_recorded(app, audited):
    with acting(app, audited):
        user = db.session.get(User, audited.user_id)
        user.set_password("a-new-long-password")
        user.full_name = "Uroš"
        db.session.commit()
    updated = entries(app, audited.id)[-1]
    changes = json.loads(updated.details)["changes"]
    assert changes["password_hash"] == ["(secret)", "(secret)"]
    assert changes.get("session_token", ["(secret)"] * 2) == ["(secret)", "(secret)"]
    assert changes["full_name"] == ["", "Uroš"]
    assert "a-new-long-password" not in updated.details


def test_a_tenant_without_the_plugin_records_nothing(app, tenant_a, tenant_b):
    switch(app, tenant_a.id, True)
    with acting(app, tenant_b):
        db.session.add(Contact(first_name="Beta", email="b@beta.si"))
        db.session.commit()
    assert entries(app, tenant_b.id) == []
    assert [e.action for e in entries(app, tenant_a.id)] == ["plugin_enabled"]


def test_off_records_nothing_and_on_again_resumes_the_same_chain(app, cli, audited):
    with acting(app, audited):
        db.session.add(Contact(first_name="One", email="one@x.si"))
        db.session.commit()
    switch(app, audited.id, False)
    with acting(app, audited):
        db.session.add(Contact(first_name="Two", email="two@x.si"))
        db.session.commit()
    switch(app, audited.id, True)
    with acting(app, audited):
        db.session.add(Contact(first_name="Three", email="three@x.si"))
        db.session.commit()
    trail = entries(app, audited.id)
    assert [(e.seq, e.action, e.label) for e in trail] == [
        (1, "plugin_enabled", None),
        (2, "created", "One"),
        (3, "plugin_disabled", None),
        (4, "plugin_enabled", None),
        (5, "created", "Three"),
    ]
    result = cli.invoke(args=["audit", "verify", "--tenant", "acme"])
    assert result.exit_code == 0, result.output


def test_a_failing_action_rolls_back_its_entry(app, audited):
    with acting(app, audited):
        db.session.add(Contact(first_name="Ana", email="ana@x.si"))
        db.session.commit()
        db.session.add(Contact(first_name="Ana again", email="ANA@x.si"))
        with pytest.raises(IntegrityError):
            db.session.commit()
        db.session.rollback()
        db.session.add(Contact(first_name="Bojan", email="bojan@x.si"))
        db.session.commit()
    trail = entries(app, audited.id)
    assert [(e.seq, e.label) for e in trail] == [(1, None), (2, "Ana"), (3, "Bojan")]


def test_an_error_while_writing_the_entry_rolls_back_the_action(app, audited, monkeypatch):
    def broken(*args, **kwargs):
        raise RuntimeError("disk full")

    monkeypatch.setattr(chain, "append", broken)
    with acting(app, audited):
        db.session.add(Contact(first_name="Lost", email="lost@x.si"))
        with pytest.raises(RuntimeError, match="disk full"):
            db.session.commit()
        db.session.rollback()
        assert db.session.scalars(select(Contact)).all() == []
    monkeypatch.undo()
    assert [e.action for e in entries(app, audited.id)] == ["plugin_enabled"]


def test_a_rolled_back_savepoint_drops_its_entries(app, audited):
    with acting(app, audited):
        db.session.add(Contact(first_name="Kept", email="kept@x.si"))
        db.session.flush()
        savepoint = db.session.begin_nested()
        db.session.add(Contact(first_name="Dropped", email="dropped@x.si"))
        db.session.flush()
        savepoint.rollback()
        with db.session.begin_nested():
            db.session.add(Contact(first_name="Released", email="released@x.si"))
        db.session.commit()
    assert [e.label for e in entries(app, audited.id)] == [None, "Kept", "Released"]
    assert verify_chain_ok(app, audited.id)


def test_delete_import_and_export_are_recorded(app, audited):
    with acting(app, audited):
        contact = Contact(first_name="Ana", last_name="Novak", email="ana@x.si")
        db.session.add(contact)
        db.session.commit()
        emit("crm_records_imported", context(), what="contacts", file_name="sejem 2024.xlsx",
             rows_read=10, created=7, updated=2, rejected=1)
        emit("crm_records_exported", context(), what="subject data", file_format="docx",
             subject="Ana Novak", rows=3, details={"contact_id": contact.id})
        db.session.commit()
        how = delete_record(context(), contact)
        db.session.commit()
    assert how == "deleted"  # the trash plugin is off: a real delete
    trail = entries(app, audited.id)
    actions = [e.action for e in trail]
    assert actions == ["plugin_enabled", "created", "imported", "exported", "redacted",
                       "purged", "deleted"]
    imported, exported = trail[2], trail[3]
    assert json.loads(imported.info) == {
        "what": "contacts", "rows_read": 10, "created": 7, "updated": 2, "rejected": 1}
    assert imported.label == "sejem 2024.xlsx"
    assert json.loads(exported.info) == {"what": "subject data", "format": "docx", "rows": 3}
    # a real delete purges the record: what the trail knew about it is blanked, and the
    # delete itself is recorded without the person's name
    assert trail[1].redaction and trail[1].label is None and exported.label is None
    assert trail[-1].label is None and json.loads(trail[-1].info) == {"how": "deleted"}
    assert verify_chain_ok(app, audited.id)


def test_entries_cannot_be_changed_or_deleted_through_the_orm(app, audited):
    with app.app_context(), all_tenants():
        entry = db.session.scalar(select(AuditEntry))
        entry.actor = "someone else"
        with pytest.raises(AuditEntryReadOnly):
            db.session.flush()
        db.session.rollback()
        entry = db.session.scalar(select(AuditEntry))
        db.session.delete(entry)
        with pytest.raises(AuditEntryReadOnly):
            db.session.flush()
        db.session.rollback()
        with pytest.raises(AuditEntryReadOnly):
            db.session.execute(update(AuditEntry).values(actor="x"))
        with pytest.raises(AuditEntryReadOnly):
            db.session.execute(delete(AuditEntry))
    assert entries(app, audited.id)[0].actor == "cli:tester"
