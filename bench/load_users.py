"""The load test's virtual users: each logs in as one user of one tenant and, until the run
ends, browses the contact list and pages, edits contacts and adds consents through the admin
forms (CSRF tokens included), and now and then asks for another tenant's contact.

Every request is timed and kept as a `Sample`; anything unexpected (a status other than the
one the action expects, a row of another tenant) becomes a `Problem`.
"""

from __future__ import annotations

import random
import re
import threading
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from html.parser import HTMLParser

import httpx

from bench.load_seed import PASSWORD, PURPOSES, TenantData, email_domain

ROW_ID_RE = re.compile(r'/admin/contacts/details/\?id=(\d+)')
OTHER_DOMAIN_RE = re.compile(r"@(load-\d+)\.primer\.si")
ACTIONS = (("list", 30), ("detail", 30), ("edit", 15), ("consent", 15), ("foreign", 10))


@dataclass
class Sample:
    """One timed request."""

    action: str
    status: int
    seconds: float


@dataclass
class Problem:
    """Something a check must report."""

    what: str
    detail: str


@dataclass
class UserReport:
    """What one virtual user did and saw."""

    login: str
    tenant: str
    samples: list[Sample] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    seen_ids: set[int] = field(default_factory=set)


class FormParser(HTMLParser):
    """The fields of the first form matching `selector_attr=value` (inputs, selects,
    textareas) as a browser would submit them, and the form's action."""

    def __init__(self, attr: str, value: str) -> None:
        super().__init__()
        self.attr, self.value = attr, value
        self.inside = False
        self.done = False
        self.action: str | None = None
        self.fields: list[tuple[str, str]] = []
        self._select: str | None = None
        self._textarea: str | None = None
        self._text: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        """Collect the form's fields."""
        a = {k: v or "" for k, v in attrs}
        if tag == "form" and not self.done and self.value in a.get(self.attr, "").split():
            self.inside, self.action = True, a.get("action", "")
        if not self.inside:
            return
        if tag == "input" and a.get("name") and a.get("type") not in ("submit", "file"):
            if a.get("type") not in ("checkbox", "radio") or "checked" in a:
                self.fields.append((a["name"], a.get("value", "")))
        elif tag == "select":
            self._select = a.get("name")
        elif tag == "option" and self._select and "selected" in a:
            self.fields.append((self._select, a.get("value", "")))
        elif tag == "textarea":
            self._textarea, self._text = a.get("name"), []

    def handle_data(self, data: str) -> None:
        """Text of a textarea."""
        if self._textarea is not None:
            self._text.append(data)

    def handle_endtag(self, tag: str) -> None:
        """Close selects, textareas and the form."""
        if tag == "select":
            self._select = None
        elif tag == "textarea" and self._textarea is not None:
            self.fields.append((self._textarea, "".join(self._text)))
            self._textarea = None
        elif tag == "form" and self.inside:
            self.inside, self.done = False, True


def parse_form(html: str, attr: str, value: str) -> FormParser:
    """The form of `html` whose `attr` holds `value` (e.g. class admin-form)."""
    parser = FormParser(attr, value)
    parser.feed(html)
    return parser


class VirtualUser(threading.Thread):
    """One person at work in the CRM until `deadline` (a `time.monotonic()` value)."""

    def __init__(self, base_url: str, login: str, tenant: TenantData,
                 foreign_ids: list[int], deadline: float, seed: int) -> None:
        super().__init__(name=f"user {login}", daemon=True)
        self.base_url = base_url
        self.tenant = tenant
        self.foreign_ids = foreign_ids
        self.deadline = deadline
        self.rng = random.Random(seed)
        self.report = UserReport(login=login, tenant=tenant.slug)

    def run(self) -> None:
        """Log in, then do weighted random actions until the deadline."""
        with httpx.Client(base_url=self.base_url, timeout=60.0) as client:
            try:
                self.log_in(client)
                actions, weights = zip(*ACTIONS, strict=True)
                while time.monotonic() < self.deadline:
                    action = self.rng.choices(actions, weights)[0]
                    getattr(self, f"do_{action}")(client)
            except Exception as exc:  # a user that stops is a failed check
                self.problem("user stopped", f"{type(exc).__name__}: {exc}")

    # --- the actions ------------------------------------------------------------------

    def log_in(self, client: httpx.Client) -> None:
        """The login form with its CSRF token."""
        page = self.request(client, "login", "GET", "/login", expect=200)
        token = parse_form(page.text, "method", "post").fields
        data = dict(token) | {"email": self.report.login, "password": PASSWORD}
        self.request(client, "login", "POST", "/login", data=data, expect=302)

    def do_list(self, client: httpx.Client) -> None:
        """A page of the contact list: only this tenant's rows."""
        pages = max(1, len(self.tenant.contact_ids) // 25)
        page = self.request(client, "list", "GET",
                            f"/admin/contacts/?page={self.rng.randrange(pages)}", expect=200)
        ids = {int(i) for i in ROW_ID_RE.findall(page.text)}
        if not ids:
            self.problem("list", "a contact list page without rows")
        self.report.seen_ids |= ids
        self.check_domains(page.text, "list")

    def do_detail(self, client: httpx.Client) -> None:
        """A contact's page with its panels."""
        contact_id = self.rng.choice(self.tenant.contact_ids)
        page = self.request(client, "detail", "GET",
                            f"/admin/contacts/details/?id={contact_id}", expect=200)
        self.report.seen_ids.add(contact_id)
        self.check_domains(page.text, "detail")

    def do_edit(self, client: httpx.Client) -> None:
        """Open a contact's edit form and save it with a changed note."""
        contact_id = self.rng.choice(self.tenant.contact_ids)
        url = f"/admin/contacts/edit/?id={contact_id}&url=/admin/contacts/"
        page = self.request(client, "edit", "GET", url, expect=200)
        form = parse_form(page.text, "class", "admin-form")
        data: dict[str, list[str]] = {}
        for name, value in form.fields:
            data.setdefault(name, []).append(value)
        data["notes"] = [f"Klic {self.rng.randrange(10**6)}: želi ponudbo."]
        self.request(client, "edit", "POST", url, data=data, expect=302)

    def do_consent(self, client: httpx.Client) -> None:
        """Add a consent on a contact's page (the panel's form)."""
        contact_id = self.rng.choice(self.tenant.contact_ids)
        page = self.request(client, "consent", "GET",
                            f"/admin/contacts/details/?id={contact_id}", expect=200)
        form = parse_form(page.text, "id", "gdpr-add-consent")
        if not form.action:
            self.problem("consent", f"no consent form on contact {contact_id}'s page")
            return
        data = dict(form.fields) | {"purpose": self.rng.choice(PURPOSES),
                                    "given_at": datetime.now(UTC).date().isoformat(),
                                    "source": "manual"}
        self.request(client, "consent", "POST", form.action, data=data, expect=302)

    def do_foreign(self, client: httpx.Client) -> None:
        """Another tenant's contact must answer 404."""
        contact_id = self.rng.choice(self.foreign_ids)
        self.request(client, "foreign", "GET", f"/admin/contacts/details/?id={contact_id}",
                     expect=404)

    # --- helpers ------------------------------------------------------------------------

    def request(self, client: httpx.Client, action: str, method: str, url: str, *,
                expect: int, data: object = None) -> httpx.Response:
        """Send, time and check one request (redirects are not followed)."""
        started = time.perf_counter()
        response = client.request(method, url, data=data)  # type: ignore[arg-type]
        self.report.samples.append(Sample(action, response.status_code,
                                          time.perf_counter() - started))
        if response.status_code == 302 and "/login" in response.headers.get("location", ""):
            self.problem(action, f"{method} {url}: sent to the login page (session lost)")
        elif response.status_code != expect:
            where = response.headers.get("location", "")
            self.problem(action, f"{method} {url}: {response.status_code} (expected {expect})"
                                 f"{' to ' + where if where else ''}"
                                 f" request id {response.headers.get('x-request-id')}")
        return response

    def check_domains(self, html: str, action: str) -> None:
        """No address of another tenant's seeded people on the page."""
        for slug in set(OTHER_DOMAIN_RE.findall(html)):
            if email_domain(slug) != email_domain(self.tenant.slug):
                self.problem("cross-tenant", f"{action} page shows an address of {slug}")

    def problem(self, what: str, detail: str) -> None:
        """Note a problem (kept short)."""
        self.report.problems.append(Problem(what, detail[:1000]))
