"""The plugin's settings are checked when saved, on the Plugins page and with
`crm plugins set`: a bad value is named with its setting and nothing is saved."""

from __future__ import annotations

import html

from core.settings import all_settings
from tests.support import csrf_token, logged_in

GOOD = {"role_local_parts": "", "free_mail_domains": "", "expiring_days": "30",
        "policy_url": "https://www.acme.si/zasebnost", "controller_contact": "Ana",
        "controller_email": "dpo@acme.si", "controller_phone": "", "controller_address": "",
        "controller_url": "", "jurisdiction": "SI", "language": "sl",
        "form_frame_origins": "https://www.acme.si"}


def test_the_plugins_page_names_each_bad_setting_and_saves_nothing(app, acme, tenant_a):
    client = logged_in(app, tenant_a.admin_email)
    token = csrf_token(client, "/admin/plugins/")
    bad = client.post("/admin/plugins/gdpr_consents/settings", data={
        **GOOD, "csrf_token": token, "policy_url": "javascript:alert(1)",
        "controller_email": "garbage", "expiring_days": "31"})
    assert bad.status_code == 400
    page = html.unescape(bad.get_data(as_text=True))
    assert ("Privacy policy URL (consent receipts): 'javascript:alert(1)' is not an http or "
            "https address") in page
    assert "Controller e-mail (receipts): 'garbage' is not a valid e-mail address" in page
    # what the admin typed stays on the page, the refused fields marked
    assert 'name="controller_contact" value="Ana"' in page
    assert 'name="jurisdiction" value="SI"' in page
    assert page.count('is-invalid"') == 2  # policy_url, controller_email
    with app.app_context():
        saved = all_settings(acme.id, "gdpr_consents")
        assert (saved["policy_url"], saved["controller_email"], saved["expiring_days"]) == (
            "", "", 30)

    good = client.post("/admin/plugins/gdpr_consents/settings",
                       data={**GOOD, "csrf_token": token})
    assert good.status_code == 302
    with app.app_context():
        saved = all_settings(acme.id, "gdpr_consents")
        assert saved["policy_url"] == "https://www.acme.si/zasebnost"
        assert saved["form_frame_origins"] == "https://www.acme.si"


def test_the_command_names_the_bad_setting_and_saves_nothing(app, acme, cli):
    answer = cli.invoke(args=["plugins", "set", "gdpr_consents", "controller_url",
                              "javascript:alert(1)", "--tenant", "acme"])
    assert answer.exit_code == 1
    assert answer.output == ("Error: Controller web site (receipts): 'javascript:alert(1)' is "
                             "not an http or https address\n")
    unknown = cli.invoke(args=["plugins", "set", "gdpr_consents", "colour", "red",
                               "--tenant", "acme"])
    assert unknown.output == "Error: there is no setting 'colour' for gdpr_consents\n"
    missing = cli.invoke(args=["plugins", "set", "nope", "colour", "red", "--tenant", "acme"])
    assert missing.output == "Error: plugin: 'nope' is not installed here.\n"
    with app.app_context():
        assert all_settings(acme.id, "gdpr_consents")["controller_url"] == ""
    ok = cli.invoke(args=["plugins", "set", "gdpr_consents", "controller_url",
                          "https://www.acme.si", "--tenant", "acme"])
    assert ok.exit_code == 0, ok.output
    with app.app_context():
        assert all_settings(acme.id, "gdpr_consents")["controller_url"] == "https://www.acme.si"


def test_an_empty_text_brings_the_default_back_and_a_long_one_is_refused(app, acme, cli):
    def saved(key):
        with app.app_context():
            return all_settings(acme.id, "gdpr_consents")[key]

    default = saved("language")
    assert cli.invoke(args=["plugins", "set", "gdpr_consents", "language", "en",
                            "--tenant", "acme"]).exit_code == 0
    assert saved("language") == "en"
    cleared = cli.invoke(args=["plugins", "set", "gdpr_consents", "language", "",
                               "--tenant", "acme"])
    assert cleared.exit_code == 0, cleared.output
    assert saved("language") == default
    long = cli.invoke(args=["plugins", "set", "gdpr_consents", "jurisdiction", "J" * 100_000,
                            "--tenant", "acme"])
    assert long.exit_code == 1
    assert long.output.startswith("Error: ") and long.output.endswith(
        "at most 2000 characters (this value has 100000)\n")
    assert "JJJJ" not in long.output
    assert saved("jurisdiction") != "J" * 100_000
