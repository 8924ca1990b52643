"""E-mail classes: a role address (`info@firma.si`: public, needs no consent), a personal
address at a company (`ana.novak@firma.si`) or a personal address at a free mail provider
(`ana.novak@gmail.com`). Personal addresses need consent (or a contract) for marketing.

The lists below are the defaults; a tenant extends them with the plugin's settings
`role_local_parts` and `free_mail_domains` (comma-separated). Addresses are compared in
their normalized form (`core.emails`); a `+tag` in the local part is ignored
(`info+news@` is a role address).
"""

from __future__ import annotations

import enum
from collections.abc import Iterable
from dataclasses import dataclass

from sqlalchemy import ColumnElement, and_, false, func, or_

from core.db import db
from core.settings import all_settings
from plugins.gdpr_consents import PLUGIN


class EmailClass(enum.StrEnum):
    """The class of an e-mail address."""

    ROLE = "role"
    PERSONAL_COMPANY = "personal_company"
    PERSONAL_FREE_MAIL = "personal_free_mail"

    @property
    def label(self) -> str:
        """A short human label."""
        return {
            "role": "role address",
            "personal_company": "personal, at a company",
            "personal_free_mail": "personal, free mail",
        }[self.value]


DEFAULT_ROLE_LOCAL_PARTS = frozenset({
    # English
    "info", "office", "sales", "contact", "support", "help", "hello", "admin", "marketing",
    "billing", "accounts", "accounting", "orders", "order", "booking", "bookings",
    "reservations", "service", "press", "media", "news", "newsletter", "hr", "jobs",
    "careers", "team", "mail", "email", "enquiries", "inquiries", "reception", "webmaster",
    "postmaster", "hostmaster", "abuse", "noreply", "no-reply", "donotreply", "privacy",
    "gdpr", "dpo", "legal", "finance", "purchasing", "procurement",
    "shop", "store", "web", "management", "secretary",
    # Slovenian (and neighbours)
    "prodaja", "kontakt", "podpora", "pisarna", "tajnistvo", "racunovodstvo", "uprava",
    "narocila", "narocilo", "nabava", "servis", "recepcija", "kadrovska", "zaposlitev",
    "trgovina", "rezervacije", "informacije", "vodstvo", "direktor", "splosno", "komerciala",
    "reklamacije", "tehnika", "blagajna", "projekti", "posta", "vprasanja",
    "verkauf", "buero", "vertrieb", "ufficio",
})

DEFAULT_FREE_MAIL_DOMAINS = frozenset({
    # Slovenia
    "siol.net", "t-2.net", "amis.net", "telemach.net", "email.si", "volja.net", "guest.arnes.si",
    "triera.net",
    # international
    "gmail.com", "googlemail.com", "yahoo.com", "yahoo.co.uk", "yahoo.de", "yahoo.it",
    "ymail.com", "outlook.com", "hotmail.com", "hotmail.co.uk", "hotmail.de", "hotmail.it",
    "live.com", "msn.com", "icloud.com", "me.com", "mac.com", "aol.com", "gmx.de", "gmx.net",
    "gmx.at", "gmx.com", "web.de", "t-online.de", "freenet.de", "proton.me",
    "protonmail.com", "pm.me", "mail.com", "yandex.ru", "yandex.com", "mail.ru", "libero.it",
    "virgilio.it", "tiscali.it", "alice.it", "orange.fr", "free.fr", "laposte.net",
    "wanadoo.fr", "seznam.cz", "centrum.cz", "wp.pl", "o2.pl", "onet.pl", "interia.pl",
    "abv.bg", "zoho.com", "tutanota.com", "tuta.io", "fastmail.com", "hushmail.com",
    "inbox.com", "hrvatski.hr", "net.hr", "t-com.hr", "chello.at", "aon.at", "bluewin.ch",
})


@dataclass(frozen=True)
class EmailRules:
    """The role local parts and free-mail domains in force for one tenant."""

    role_local_parts: frozenset[str]
    free_mail_domains: frozenset[str]

    def classify(self, email: str) -> EmailClass:
        """Return the class of a normalized address."""
        local, _, domain = email.rpartition("@")
        local = local.split("+", 1)[0]
        if local in self.role_local_parts:
            return EmailClass.ROLE
        if domain in self.free_mail_domains:
            return EmailClass.PERSONAL_FREE_MAIL
        return EmailClass.PERSONAL_COMPANY

    def role_clause(self, email_column: ColumnElement[str]) -> ColumnElement[bool]:
        """Return the SQL condition "the address in `email_column` is a role address": its
        local part, without a `+tag`, is in the list. Written per dialect so that it stays
        cheap on a scan of every contact: on PostgreSQL `split_part`; on SQLite one
        `substr`/`instr` of `local@`, and the `+tag` form only for addresses with a `+`."""
        parts = sorted(self.role_local_parts)
        if not parts:
            return false()
        if db.engine.dialect.name == "postgresql":
            local = func.split_part(func.split_part(email_column, "@", 1), "+", 1)
            return local.in_(parts)
        with_at = func.substr(email_column, 1, func.instr(email_column, "@"))
        before_plus = func.substr(email_column, 1, func.instr(email_column, "+") - 1)
        return or_(with_at.in_([f"{part}@" for part in parts]),
                   and_(func.instr(email_column, "+") > 0, before_plus.in_(parts)))


def split_list(raw: str | Iterable[str] | None) -> frozenset[str]:
    """Return the lower-cased, non-empty items of a comma-, semicolon- or line-separated
    list (or of an iterable of strings)."""
    if raw is None:
        return frozenset()
    items = raw.replace(";", ",").replace("\n", ",").split(",") if isinstance(raw, str) else raw
    cleaned = {item.strip().lower().strip("@").strip() for item in items}
    return frozenset(item for item in cleaned if item)


def rules_for(tenant_id: int) -> EmailRules:
    """Return the default lists extended by the tenant's settings."""
    settings = all_settings(tenant_id, PLUGIN)  # one query for both lists
    extra_roles = split_list(settings.get("role_local_parts"))
    extra_domains = split_list(settings.get("free_mail_domains"))
    return EmailRules(
        role_local_parts=DEFAULT_ROLE_LOCAL_PARTS | extra_roles,
        free_mail_domains=DEFAULT_FREE_MAIL_DOMAINS | extra_domains,
    )


def default_rules() -> EmailRules:
    """Return the rules with only the default lists (no tenant settings)."""
    return EmailRules(DEFAULT_ROLE_LOCAL_PARTS, DEFAULT_FREE_MAIL_DOMAINS)
