"""The plugins page (tenant admins) and the admin views plugins contribute."""

from __future__ import annotations

import re

import pytest

from core.plugin_host import PluginError
from core.settings import all_settings
from tests.conftest import build_app
from tests.support import BUILTIN_PLUGINS, csrf_token, logged_in
from tests.web import webdemo


@pytest.fixture
def demo_app(app, database_url, tmp_path):
    """The test database served by an app with the `webdemo` sample plugin installed too."""
    return build_app(database_url, tmp_path / "webdemo", EXTRA_PLUGINS=[webdemo],
                     PLUGINS=[*BUILTIN_PLUGINS, "webdemo"])


def _flashes(html: str) -> list[str]:
    return [m.strip() for m in re.findall(
        r'<div class="alert[^"]*"[^>]*>\s*(?:<button[^>]*>&times;</button>)?(.*?)</div>',
        html, re.S)]


def test_the_page_lists_every_plugin_with_its_state(demo_app, tenant_a):
    client = logged_in(demo_app, tenant_a.admin_email)
    html = client.get("/admin/plugins/").get_data(as_text=True)
    for name in (*BUILTIN_PLUGINS, "webdemo"):
        assert f'id="plugin-{name}"' in html
    row = html[html.index('id="plugin-webdemo"'):]
    assert "9.9.9" in row and "Sample plugin of the web tests." in row and "audit" in row
    assert "Retention (days)" in html and 'value="Živijo"' in html


def test_enabling_brings_dependencies_and_disabling_what_is_needed_is_refused(
        demo_app, tenant_a):
    client = logged_in(demo_app, tenant_a.admin_email)
    token = csrf_token(client, "/admin/plugins/")
    enabled = client.post("/admin/plugins/webdemo/enable", data={"csrf_token": token},
                          follow_redirects=True)
    messages = _flashes(enabled.get_data(as_text=True))
    assert "Enabled audit too, because webdemo needs it." in messages
    assert "Enabled webdemo." in messages
    refused = client.post("/admin/plugins/audit/disable", data={"csrf_token": token},
                          follow_redirects=True)
    assert ("audit cannot be disabled while webdemo needs it; disable that first."
            in _flashes(refused.get_data(as_text=True)))
    host = demo_app.extensions["crm"]["plugins"]
    with demo_app.app_context():
        assert {"audit", "webdemo"} <= host.enabled_for(tenant_a.id)
    unknown = client.post("/admin/plugins/nope/enable", data={"csrf_token": token},
                          follow_redirects=True)
    assert "There is no plugin &#39;nope&#39;" in unknown.get_data(as_text=True)
    off = client.post("/admin/plugins/webdemo/disable", data={"csrf_token": token},
                      follow_redirects=True)
    assert "Disabled webdemo; its data is kept." in _flashes(off.get_data(as_text=True))


def test_settings_are_saved_all_or_nothing(demo_app, tenant_a):
    client = logged_in(demo_app, tenant_a.admin_email)
    token = csrf_token(client, "/admin/plugins/")
    bad = client.post("/admin/plugins/webdemo/settings", data={
        "retention_days": "0", "greeting": "Zdravo", "csrf_token": token})
    assert bad.status_code == 400
    assert "Retention (days): must be at least 1" in bad.get_data(as_text=True)
    with demo_app.app_context():
        assert all_settings(tenant_a.id, "webdemo")["greeting"] == "Živijo"
    good = client.post("/admin/plugins/webdemo/settings", data={
        "retention_days": "90", "greeting": "Zdravo", "loud": "on", "csrf_token": token})
    assert good.status_code == 302
    with demo_app.app_context():
        assert all_settings(tenant_a.id, "webdemo") == {
            "retention_days": 90, "greeting": "Zdravo", "loud": True}
    assert client.post("/admin/plugins/no-such-plugin/settings", data={"csrf_token": token}
                       ).status_code == 404


def test_a_plugin_view_is_404_and_hidden_until_the_tenant_enables_the_plugin(
        demo_app, tenant_a, tenant_b):
    client = logged_in(demo_app, tenant_a.user_email)
    assert client.get("/admin/webdemo_hello/").status_code == 404
    assert "webdemo_hello" not in client.get("/admin/").get_data(as_text=True)
    admin = logged_in(demo_app, tenant_a.admin_email)
    admin.post("/admin/plugins/webdemo/enable",
               data={"csrf_token": csrf_token(admin, "/admin/plugins/")})
    assert client.get("/admin/webdemo_hello/").get_data(as_text=True) == "webdemo hello page"
    assert "/admin/webdemo_hello/" in client.get("/admin/").get_data(as_text=True)
    other_tenant = logged_in(demo_app, tenant_b.user_email)
    assert other_tenant.get("/admin/webdemo_hello/").status_code == 404
    (view,) = [v for v in demo_app.extensions["admin"][0]._views
               if v.endpoint == "webdemo_hello"]
    assert view.crm_plugin == "webdemo"


@pytest.mark.parametrize(("kind", "message"), [
    ("bad_prefix", "endpoint 'hello', which does not start with 'webdemo_'"),
    ("plain", "must inherit core.admin.CrmModelView or core.admin.CrmViewMixin"),
])
def test_plugin_views_that_break_the_rules_stop_the_app(database_url, tmp_path, kind,
                                                       message):
    with pytest.raises(PluginError, match=re.escape(message)):
        build_app(database_url, tmp_path, EXTRA_PLUGINS=[webdemo],
                  PLUGINS=["audit", "webdemo"], WEBDEMO_VIEW=kind)
