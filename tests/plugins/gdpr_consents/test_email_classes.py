"""E-mail classes: role, personal at a company, personal at a free mail provider."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from core.db import db
from core.models import Contact
from core.settings import set_setting
from plugins.gdpr_consents.email_classes import EmailClass, default_rules, rules_for, split_list

ADDRESSES = {
    "info@firma.si": EmailClass.ROLE,
    "office@firma.si": EmailClass.ROLE,
    "sales@firma.com": EmailClass.ROLE,
    "prodaja@firma.si": EmailClass.ROLE,
    "kontakt@firma.si": EmailClass.ROLE,
    "podpora@firma.si": EmailClass.ROLE,
    "info+newsletter@firma.si": EmailClass.ROLE,
    "info@gmail.com": EmailClass.ROLE,
    "ana.novak@firma.si": EmailClass.PERSONAL_COMPANY,
    "information.officer@firma.si": EmailClass.PERSONAL_COMPANY,
    "ana.novak@gmail.com": EmailClass.PERSONAL_FREE_MAIL,
    "ana.novak@siol.net": EmailClass.PERSONAL_FREE_MAIL,
    "janez@t-2.net": EmailClass.PERSONAL_FREE_MAIL,
    "no_reply@firma.si": EmailClass.PERSONAL_COMPANY,
}


@pytest.mark.parametrize(("email", "expected"), ADDRESSES.items())
def test_default_classes(email, expected):
    assert default_rules().classify(email) == expected


def test_split_list_accepts_commas_semicolons_lines_and_at_signs():
    assert split_list(" Narocila@, blagajna ;\n@MojMail.si,, ") == {
        "narocila", "blagajna", "mojmail.si"}


def test_the_sql_role_test_agrees_with_python_and_tenants_extend_the_lists(actx):
    for email in ADDRESSES:
        actx.contact(email)
    actx.contact("narocila.janez@firma.si")
    actx.contact("blagajna@firma.si")
    actx.contact("maja@mojmail.si")
    db.session.commit()
    set_setting(actx.id, "gdpr_consents", "role_local_parts", "blagajna, no_reply")
    set_setting(actx.id, "gdpr_consents", "free_mail_domains", "mojmail.si")
    db.session.commit()
    rules = rules_for(actx.id)
    assert rules.classify("blagajna@firma.si") == EmailClass.ROLE
    assert rules.classify("no_reply@firma.si") == EmailClass.ROLE
    assert rules.classify("maja@mojmail.si") == EmailClass.PERSONAL_FREE_MAIL
    in_sql = set(db.session.scalars(select(Contact.email).where(
        rules.role_clause(Contact.email))))
    everyone = db.session.scalars(select(Contact.email)).all()
    assert in_sql == {e for e in everyone if rules.classify(e) == EmailClass.ROLE}
    assert "no_reply@firma.si" in in_sql  # "_" is not a wildcard
    assert "narocila.janez@firma.si" not in in_sql
