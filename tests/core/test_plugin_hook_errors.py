"""What happens when a plugin's hook implementation raises (docs/plugins.md, "When a hook
raises"): the action that called it is undone as a whole and the error is logged with its
traceback; the plugin is not isolated from the action, only from tenants that have not
enabled it."""

from __future__ import annotations

import html
import logging

import pytest
from sqlalchemy import select

from core.db import db
from core.events import context
from core.models import Contact, Tenant
from core.scoping import all_tenants, tenant_scope
from core.testing import BUILTIN_PLUGINS, csrf_token, logged_in
from plugins.audit.models import AuditEntry
from tests.conftest import build_app
from tests.core.plugin_samples import failing
from tests.core.plugin_samples.failing.hooks import PluginBug


@pytest.fixture
def failing_app(app, database_url, tmp_path, tenant_a, tenant_b):
    """The built-ins and `failing` installed; acme enabled audit and failing, beta audit."""
    application = build_app(database_url, tmp_path / "failing", EXTRA_PLUGINS=[failing],
                            PLUGINS=[*BUILTIN_PLUGINS, "failing"])
    application.config["PROPAGATE_EXCEPTIONS"] = False  # as in production
    with application.app_context():
        with all_tenants():
            acme, beta = (db.session.scalar(select(Tenant).where(Tenant.slug == slug))
                          for slug in ("acme", "beta"))
        host = application.extensions["crm"]["plugins"]
        for tenant, names in ((acme, ("audit", "failing")), (beta, ("audit",))):
            for name in names:
                host.enable(context(tenant=tenant, actor="cli:test"), name)
        db.session.commit()
    return application


def create_contact(app, email, last_name):
    client = logged_in(app, email)
    token = csrf_token(client, "/admin/contacts/new/")
    return client.post("/admin/contacts/new/", data={
        "csrf_token": token, "first_name": "Ana", "last_name": last_name,
        "email": "ana@example.si"})


def stored(app, tenant):
    with app.app_context(), tenant_scope(tenant.id):
        contacts = [c.last_name for c in db.session.scalars(select(Contact))]
        audited = db.session.scalars(
            select(AuditEntry.action).where(AuditEntry.target_type == "contact")).all()
        return contacts, audited


def test_a_hook_raising_in_a_save_undoes_the_save_with_other_plugins_writes(
        failing_app, tenant_a, caplog):
    with caplog.at_level(logging.ERROR):
        answer = create_contact(failing_app, tenant_a.admin_email, "Boom")
    assert answer.status_code == 200  # the form again, with the message
    assert ("Failed to create record. the failing plugin broke on purpose"
            in html.unescape(answer.get_data(as_text=True)))
    assert stored(failing_app, tenant_a) == ([], [])  # neither the contact nor its audit entry
    (logged,) = [r for r in caplog.records if r.levelno == logging.ERROR]
    assert logged.getMessage() == "Failed to create record."
    assert isinstance(logged.exc_info[1], PluginBug)


def test_a_hook_raising_while_a_page_is_shown_answers_500_and_logs_it(
        failing_app, tenant_a, caplog):
    assert create_contact(failing_app, tenant_a.admin_email, "Novak").status_code == 302
    with failing_app.app_context(), tenant_scope(tenant_a.id):
        contact_id = db.session.scalar(select(Contact.id))
    client = logged_in(failing_app, tenant_a.user_email)
    with caplog.at_level(logging.ERROR):
        page = client.get(f"/admin/contacts/details/?id={contact_id}")
    assert page.status_code == 500
    assert "Internal Server Error" in page.get_data(as_text=True)
    assert "broke on purpose" not in page.get_data(as_text=True)
    (logged,) = [r for r in caplog.records if r.levelno == logging.ERROR]
    assert logged.getMessage() == "Exception on /admin/contacts/details/ [GET]"
    assert isinstance(logged.exc_info[1], PluginBug)


def test_a_hook_raising_in_a_command_ends_it_with_nothing_stored(failing_app, tenant_b):
    result = failing_app.test_cli_runner().invoke(
        args=["plugins", "enable", "failing", "--tenant", "beta"])
    assert result.exit_code == 1
    assert isinstance(result.exception, PluginBug)
    with failing_app.app_context():
        assert not failing_app.extensions["crm"]["plugins"].is_enabled(tenant_b.id, "failing")


def test_tenants_that_did_not_enable_the_plugin_are_not_affected(failing_app, tenant_b):
    assert create_contact(failing_app, tenant_b.admin_email, "Boom").status_code == 302
    assert stored(failing_app, tenant_b) == (["Boom"], ["created"])
