"""The public pages of the web form (blueprint `gdpr_consents_forms`, no login):

- `/f/<tenant>/<form>`: the form (GET) and its submission (POST);
- `/f/<tenant>/confirm/<token>`: the confirmation page (GET shows a button, only its POST
  records: mail scanners that follow links confirm nothing);
- `/f/<tenant>/consents/<token>`: the person's consents with this company (GET shows them,
  a POST per consent withdraws it).

CSRF: the blueprint is exempt from the session-bound CSRF token (`crm_csrf_exempt`). The
form is meant to be embedded in or posted from the company's own site, where our session
cookie is a third-party cookie a browser does not send, and a visitor has no session or
rights a forged request could abuse: a forged submission is the same as a direct one and
meets the same honeypot, rate limits and double opt-in. The confirmation and withdrawal
POSTs are authorised by the signed token in their URL, which only the mail's reader has.
The pages set no cookie.

Framing: the form page (and the answer to its submission, e.g. the thank-you message) may
be shown in an iframe by the sites of the tenant's setting `form_frame_origins` (none by
default); the confirmation and consents pages, reached from a mail, never (clickjacking a
confirmation or a withdrawal).

An unknown tenant or form, and a tenant without the plugin, answer 404 (the core guards the
blueprint); a bad or expired link a clear page (400/410) with nothing recorded.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, abort, current_app, render_template, request
from sqlalchemy import select

from core.boot import request_tenant
from core.db import db
from core.events import context, set_actor
from core.mail import MailError
from core.scoping import set_tenant
from core.security_headers import allow_framing
from core.settings import get_setting
from plugins.gdpr_consents import PLUGIN
from plugins.gdpr_consents import consents as consent_logic
from plugins.gdpr_consents.errors import ConsentInputError
from plugins.gdpr_consents.intake.webform import flow, throttle, tokens
from plugins.gdpr_consents.intake.webform.models import WebForm

blueprint = Blueprint("gdpr_consents_forms", __name__)
blueprint.crm_csrf_exempt = True  # see the module docstring

TEMPLATES = "gdpr_consents/webform/"


@blueprint.before_request
def _visitor() -> None:
    """The tenant of the URL in scope, and the visitor (`form:<ip>`) as the actor."""
    ref = request_tenant()
    if ref is None:
        abort(404)
    set_tenant(ref.id)
    set_actor(f"form:{request.remote_addr or 'unknown'}", tenant=ref)


def _page(name: str, status: int = 200, **values: Any) -> tuple[str, int]:
    return render_template(TEMPLATES + name, tenant=request_tenant(), **values), status


def _link_problem(exc: Exception, manage: bool = False) -> tuple[str, int]:
    """The page of a link that expired (410) or is not valid (400); `manage` for a link to
    the person's consents, whose page says how to withdraw without a new consent."""
    expired = isinstance(exc, tokens.LinkExpired)
    return _page("link_problem.html", 410 if expired else 400, expired=expired, manage=manage)


def _form(form_slug: str) -> WebForm:
    form = db.session.scalar(select(WebForm).where(WebForm.slug == form_slug,
                                                   WebForm.active.is_(True)))
    if form is None:
        abort(404)
    return form


@blueprint.route("/f/<tenant>/<form_slug>", methods=["GET", "POST"])
def web_form(tenant: str, form_slug: str) -> Any:
    """The form; a POST takes the submission and answers the same neutral page whether a
    mail was sent or not (a suppressed or already waiting address is not told apart)."""
    form = _form(form_slug)
    allow_framing(get_setting(request_tenant().id, PLUGIN, "form_frame_origins"))
    if request.method == "GET":
        return _page("form.html", form=form, data={}, chosen=[], errors={})
    ctx = context()
    try:
        outcome = flow.submit(ctx, form, request.form)
    except MailError as exc:
        db.session.rollback()
        current_app.logger.error("web form %s: confirmation mail not sent: %s", form_slug, exc)
        return _page("message.html", 503, title="Please try again later",
                     message="We could not send the confirmation e-mail just now.")
    if outcome.errors:
        db.session.rollback()
        return _page("form.html", 400, form=form, data=request.form,
                     chosen=request.form.getlist("purposes"), errors=outcome.errors)
    if outcome.limited:
        db.session.rollback()
        window = throttle.window_seconds()
        body, status = _page("message.html", 429, title="Too many submissions",
                             message="Too many submissions from this address or network; "
                                     f"please try again in {max(1, window // 60)} minute(s).")
        return body, status, {"Retry-After": str(window)}
    db.session.commit()
    return _page("message.html", title="Check your e-mail",
                 message="If the address can receive mail from us, a message with a "
                         "confirmation link is on its way. Your consent is recorded only "
                         "when you confirm.")


@blueprint.route("/f/<tenant>/confirm/<token>", methods=["GET", "POST"])
def confirm(tenant: str, token: str) -> Any:
    """GET: the confirmation button; POST: record the consents (once)."""
    ref = request_tenant()
    try:
        submission = flow.submission_of(token, ref.id)
    except (tokens.LinkExpired, tokens.LinkInvalid) as exc:
        return _link_problem(exc)
    if request.method == "GET":
        return _page("confirm.html", submission=submission, form=submission.form,
                     purposes=flow.purposes_of(submission))
    ctx = context()
    contact, problems = flow.confirm(ctx, submission)
    if contact is None:
        db.session.rollback()
        return _link_problem(tokens.LinkInvalid("suppressed"))
    db.session.commit()
    return _page("confirmed.html", form=submission.form, problems=problems,
                 manage_url=flow.manage_link(ctx, contact.id))


@blueprint.route("/f/<tenant>/consents/<token>", methods=["GET", "POST"])
def consents(tenant: str, token: str) -> Any:
    """GET: the person's consents with this company; POST `consent`: withdraw it."""
    ref = request_tenant()
    try:
        contact = flow.contact_of(token, ref.id)
    except (tokens.LinkExpired, tokens.LinkInvalid) as exc:
        return _link_problem(exc, manage=True)
    ctx = context()
    status, notice = 200, None
    if request.method == "POST":
        if contact is None:
            abort(404)
        try:
            consent = flow.withdraw(ctx, contact, request.form.get("consent"))
            db.session.commit()
            notice = f"Your consent to '{consent.purpose.name}' is withdrawn."
        except ConsentInputError as exc:
            db.session.rollback()
            status, notice = exc.status, str(exc)
    rows = consent_logic.consents_of(contact) if contact is not None else []
    return _page("consents.html", status, contact=contact, notice=notice, rows=rows,
                 can_withdraw=lambda c: flow.withdrawable(c, ctx))
