"""The web form in the company's own site: only the form page (and the answer to its
submission) may be framed, only by the origins of the tenant's setting `form_frame_origins`;
the confirm and withdraw pages never. Form slugs that are path segments of the public routes
are reserved; a duplicate slug is named. The withdraw page answers the same for a consent id
that does not exist and one the link does not cover."""

from __future__ import annotations

import re

from sqlalchemy import select

from core.db import db
from core.settings import SettingError, set_setting
from plugins.gdpr_consents.models import Consent, Purpose
from tests.support import csrf_token, logged_in

from .conftest import NOTICE
from .test_webform import FORM_URL, confirmed, link, submit

NONCE_RE = re.compile(r"nonce-[A-Za-z0-9_-]+|nonce=\"[A-Za-z0-9_-]+\"")


def frame_ancestors(response) -> str:
    policy = response.headers["Content-Security-Policy"]
    return dict(part.strip().split(" ", 1) for part in policy.split(";"))["frame-ancestors"]


def set_origins(app, acme, value: str) -> None:
    with app.app_context(), acme.scope():
        set_setting(acme.id, "gdpr_consents", "form_frame_origins", value)
        db.session.commit()


def test_without_the_setting_the_form_cannot_be_framed(app, acme, web_form, client):
    response = client.get(FORM_URL)
    assert frame_ancestors(response) == "'none'"
    assert response.headers["X-Frame-Options"] == "DENY"


def test_the_form_and_its_answer_may_be_framed_by_the_tenants_sites_only(app, acme, web_form,
                                                                          client):
    set_origins(app, acme, "https://www.acme.si  https://shop.acme.si:8443")

    page = client.get(FORM_URL)
    assert page.status_code == 200
    assert frame_ancestors(page) == "https://www.acme.si https://shop.acme.si:8443"
    assert "X-Frame-Options" not in page.headers

    thanks = submit(client, [web_form["newsletter"]])
    assert thanks.status_code == 200 and "Check your e-mail" in thanks.get_data(as_text=True)
    assert frame_ancestors(thanks) == "https://www.acme.si https://shop.acme.si:8443"
    assert "X-Frame-Options" not in thanks.headers

    mail = confirmed(app, client, web_form)
    for path in (link(mail, "confirm"), link(mail, "consents"), "/f/acme/nothing", "/login"):
        response = client.get(path)
        assert frame_ancestors(response) == "'none'", path
        assert response.headers["X-Frame-Options"] == "DENY", path
    assert client.post(link(mail, "confirm")).headers["X-Frame-Options"] == "DENY"


def test_another_tenants_origins_do_not_apply(app, acme, beta_ny, web_form, client):
    with app.app_context(), beta_ny.scope():
        set_setting(beta_ny.id, "gdpr_consents", "form_frame_origins", "https://beta.example")
        db.session.commit()
    assert frame_ancestors(client.get(FORM_URL)) == "'none'"


def test_frame_origins_must_be_https_origins(app, acme):
    with app.app_context():
        for value, shown in (("http://www.acme.si", "http://www.acme.si"),
                             ("https://www.acme.si/form", "https://www.acme.si/form"),
                             ("https://ok.si *", "*"), ("'self'", "'self'")):
            try:
                set_setting(acme.id, "gdpr_consents", "form_frame_origins", value)
            except SettingError as exc:
                assert str(exc) == (f"Sites that may embed the web forms: '{shown}' is not an "
                                    "https origin (write https://host or https://host:port, "
                                    "without a path)")
            else:
                raise AssertionError(f"{value} was accepted")


def _new_form(client, newsletter: int, slug: str):
    page = "/admin/gdpr_consents_webforms/new/"
    return client.post(page, data={
        "csrf_token": csrf_token(client, page), "slug": slug, "title": "Sejem",
        "purposes": [str(newsletter)], "notice_text": NOTICE, "notice_version": "1",
        "thank_you_text": "", "active": "y"})


def test_slugs_of_the_public_routes_are_reserved_and_a_duplicate_is_named(app, acme, web_form,
                                                                          tenant_a):
    client = logged_in(app, tenant_a.admin_email)
    with app.app_context(), acme.scope():
        newsletter = db.session.scalar(select(Purpose.id).where(Purpose.code == "newsletter"))
    for slug in ("confirm", "Consents"):
        answer = _new_form(client, newsletter, slug)
        assert answer.status_code == 200
        assert (f"slug: &#39;{slug.lower()}&#39; is reserved (it is part of the addresses of "
                "confirmation and consents pages); choose another.") in answer.get_data(
                    as_text=True), slug
    answer = _new_form(client, newsletter, "novice")
    assert "slug: a form with slug &#39;novice&#39; already exists." in answer.get_data(
        as_text=True)
    assert _new_form(client, newsletter, "sejem").status_code == 302


def test_a_missing_consent_id_answers_like_someone_elses(app, acme, web_form, client):
    manage = link(confirmed(app, client, web_form), "consents")
    with app.app_context(), acme.scope():
        from plugins.gdpr_consents import consents as consent_logic
        theirs = consent_logic.grant(acme.ctx(), acme.contact("bor@example.si"), "newsletter",
                                     given_at="2025-01-01")
        db.session.commit()
        theirs_id = theirs.id
        missing_id = db.session.scalar(select(Consent.id).order_by(Consent.id.desc())) + 100
    answers = [client.post(manage, data={"consent": str(i)}) for i in (theirs_id, missing_id)]
    assert [a.status_code for a in answers] == [404, 404]
    bodies = [NONCE_RE.sub("", a.get_data(as_text=True)) for a in answers]
    assert bodies[0] == bodies[1]
    assert "consent: there is no such consent." in bodies[0]
    assert f"#{missing_id}" not in bodies[1]
