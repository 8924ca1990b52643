"""Setting kinds: a text setting declared with a kind refuses other values with a message
naming the setting; a kind nobody offers, or on a number, stops the declaration."""

from __future__ import annotations

import pytest

from core.setting_kinds import email_address, http_url, https_origins, regular_expression
from core.settings import Setting, SettingsRegistry


@pytest.mark.parametrize(("value", "problem"), [
    ("javascript:alert(1)", "'javascript:alert(1)' is not an http or https address"),
    ("data:text/html,x", "'data:text/html,x' is not an http or https address"),
    ("www.acme.si/privacy", "'www.acme.si/privacy' is not an http or https address"),
    ("https:///privacy", "'https:///privacy' is not an http or https address"),
    ("https://acme.si/a b", "'https://acme.si/a b' contains spaces"),
    ("https://www.acme.si/zasebnost", None),
    ("http://acme.si", None),
])
def test_url_takes_http_and_https_addresses_only(value, problem):
    assert http_url(value) == problem


def test_email_regex_and_origins_say_what_is_wrong():
    assert email_address("dpo@acme.si") is None
    assert email_address("not an address").startswith("'not an address' is not a valid e-mail "
                                                      "address")
    assert regular_expression(r"AC-\d{6}") is None
    assert regular_expression("(") == ("'(' is not a valid regular expression (missing ), "
                                       "unterminated subpattern at position 0)")
    assert https_origins("https://www.acme.si https://shop.acme.si:8443") is None
    assert https_origins("https://www.acme.si http://old.acme.si") == (
        "'http://old.acme.si' is not an https origin (write https://host or "
        "https://host:port, without a path)")


def test_an_unknown_kind_or_a_kind_on_a_number_is_refused_at_declaration():
    registry = SettingsRegistry()
    with pytest.raises(ValueError, match=r"setting sample\.site: unknown kind website"):
        registry.declare("sample", [Setting("site", "str", "", "Site", kind="website")])
    with pytest.raises(ValueError, match=r"setting sample\.days: unknown kind url"):
        registry.declare("sample", [Setting("days", "int", 1, "Days", kind="url")])
    registry.add_kinds("sample", {"colour": lambda value: None})
    registry.declare("sample", [Setting("shade", "str", "", "Shade", kind="colour")])
    with pytest.raises(ValueError, match="setting kind url of other is already defined"):
        registry.add_kinds("other", {"url": lambda value: None})


@pytest.mark.parametrize(("setting", "problem"), [
    (Setting("big", "int", 50, "Big", minimum=1, maximum=10),
     "setting sample.big: the default does not fit (Big: must be at most 10)"),
    (Setting("site", "str", "javascript:alert(1)", "Site", kind="url"),
     "setting sample.site: the default does not fit ('javascript:alert(1)' is not an http or "
     "https address)"),
    (Setting("bad key!", "str", "", "Bad"),
     "setting sample.bad key!: a key is lower-case letters, digits and '_', starting with a "
     "letter"),
])
def test_a_declaration_whose_default_the_page_would_refuse_stops_the_boot(setting, problem):
    with pytest.raises(ValueError) as refused:
        SettingsRegistry().declare("sample", [setting])
    assert str(refused.value) == problem
