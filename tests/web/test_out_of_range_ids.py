"""A number beyond every key column (in a URL, a query string or a form) names no record:
every page answers 404 or 400 for it, never a 500 from the database driver."""

from __future__ import annotations

import pytest
from click.testing import CliRunner
from werkzeug.routing import IntegerConverter

from core.ids import MAX_ID, RECORD_ID, parse_id, parse_page
from tests.support import csrf_token, logged_in
from tests.web.test_cross_tenant import _enable_all

BEYOND = "99999999999999999999999"


def _urls(app) -> list[tuple[str, str]]:
    """(method, url) of every route, its number arguments beyond every key column."""
    urls = []
    adapter = app.url_map.bind("localhost")
    for rule in app.url_map.iter_rules():
        if rule.endpoint == "static" or "logout" in rule.endpoint:
            continue
        values = {name: BEYOND if isinstance(converter, IntegerConverter) else "x"
                  for name, converter in rule._converters.items()}
        url = adapter.build(rule.endpoint, values, append_unknown=False)
        for method in sorted(rule.methods & {"GET", "POST"}):
            urls.append((method, url))
    return urls


def test_no_page_fails_on_a_number_beyond_every_key(app, tenant_a):
    _enable_all(app, tenant_a.id)
    client = logged_in(app, tenant_a.admin_email)
    token = csrf_token(client, "/admin/contacts/new/")
    failed = []
    for method, url in _urls(app):
        query = f"?id={BEYOND}&page={BEYOND}&flt0_0={BEYOND}"
        if method == "GET":
            answer = client.get(url + query)
        else:
            answer = client.post(url + query, data={
                "csrf_token": token, "id": BEYOND, "rowid": BEYOND, "unit": BEYOND,
                "consent": BEYOND, "request": BEYOND})
        if answer.status_code >= 500:
            failed.append((method, url, answer.status_code))
    assert failed == []
    assert client.get(f"/admin/contacts/details/?id={BEYOND}").status_code == 404
    assert client.get(f"/admin/trash/{BEYOND}/").status_code == 404
    assert client.get("/admin/trash/0/").status_code == 404  # ids start at 1, as parse_id's
    assert client.get(f"/admin/gdpr_consents_segments/?purposes=newsletter&company={BEYOND}"
                      ).status_code == 400
    assert client.get(f"/admin/contacts/?page={BEYOND}").status_code == 200


def test_ids_and_pages_are_read_within_the_key_range():
    assert [parse_id(v) for v in ("12", " 7 ", str(MAX_ID))] == [12, 7, MAX_ID]
    assert [parse_id(v) for v in ("0", "-3", "1.5", "abc", "", None, True, str(MAX_ID + 1),
                                  BEYOND)] == [None] * 9
    assert [parse_page(v) for v in (None, "-1", "x", "3", BEYOND)] == [0, 0, 0, 3, 10**6]


@pytest.mark.parametrize("value", ["0", BEYOND])
def test_a_command_refuses_an_id_out_of_range(value):
    import click

    @click.command()
    @click.argument("unit_id", type=RECORD_ID)
    def show(unit_id):
        click.echo(unit_id)

    result = CliRunner().invoke(show, [value])
    assert result.exit_code == 2
    assert (f"Invalid value for 'UNIT_ID': '{value}' is not a valid integer (an id from 1 to "
            f"{MAX_ID}).") in result.output
