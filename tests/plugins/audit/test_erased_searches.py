"""A search that checks an erasure does not write the erased address back into the trail:
a list view whose search (or a filter) is an address in the erasure ledger is logged
without it; other searches keep their text."""

from __future__ import annotations

import json

from core.db import db
from core.events import context, emit
from core.models import Contact
from plugins.audit.actions import ERASED_SEARCH

from .conftest import acting, entries, switch


def test_a_search_for_an_erased_address_is_logged_without_it(app, audited, cli):
    switch(app, audited.id, True, plugin="trash")
    with acting(app, audited):
        db.session.add(Contact(first_name="Ana", last_name="Testova",
                               email="anna.test@example.com"))
        db.session.commit()
    erased = cli.invoke(args=["erase", "anna.test@example.com", "--tenant", audited.slug])
    assert erased.exit_code == 0, erased.output
    with acting(app, audited):
        for search, filters in ((" Anna.Test@Example.com", {}),
                                ("Testova", {"email": "anna.test@example.com"}),
                                ("bor@example.com", {})):
            emit("crm_list_viewed", context(), list_name="contacts", search=search,
                 filters=filters, page=0, rows_shown=0)
        db.session.commit()
    by_address, by_name, other = entries(app, audited.id)[-3:]
    assert (by_address.label, json.loads(by_address.details)) == (
        None, {"search": ERASED_SEARCH})
    assert json.loads(by_name.details) == {"search": "Testova",
                                           "filters": {"email": ERASED_SEARCH}}
    assert (other.label, json.loads(other.details)) == (
        "bor@example.com", {"search": "bor@example.com"})
    trail = " ".join(str(e.details) + str(e.label) for e in entries(app, audited.id))
    assert "anna.test@example.com" not in trail.lower()
    assert cli.invoke(args=["audit", "verify", "--tenant", audited.slug]).exit_code == 0
