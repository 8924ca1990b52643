"""The trail's entries about a person are part of that person's data: in a right-of-access
export and in the erasure preview, with the personal details an erasure blanks."""

from __future__ import annotations

from core.db import db
from core.events import context, emit
from core.models import Contact
from plugins.audit.verify import verify_chain
from plugins.export.gather import contact_pack
from tests.plugins.audit.conftest import acting, switch


def _audit_rows(contact):
    pack = contact_pack(context(), contact)
    (section,) = [s for s in pack.sections if s.key == "audit.history"]
    assert section.plugin == "audit" and section.title == "Activity log"
    assert section.columns == ["When", "Who", "What", "Personal details"]
    return [list(item.values) for item in section.items]


def test_a_persons_entries_are_in_their_export_and_blank_after_erasure(app, audited):
    switch(app, audited.id, True, plugin="export")
    with acting(app, audited):
        ana = Contact(first_name="Ana", last_name="Novak", email="ana@novak.si")
        bor = Contact(first_name="Bor", last_name="Zajc", email="bor@zajc.si")
        db.session.add_all([ana, bor])
        db.session.commit()
        ana.phone = "041 111 222"
        db.session.commit()
        emit("crm_record_viewed", context(), record=ana)
        emit("crm_record_viewed", context(), record=bor)
        db.session.commit()

        rows = _audit_rows(ana)
        actor = f"user:{audited.admin_email}"
        assert [(who, what) for _when, who, what, _details in rows] == [
            (actor, f"created contact #{ana.id} “Ana Novak”"),
            (actor, f"changed contact #{ana.id} “Ana Novak”: phone"),
            (actor, f"viewed contact #{ana.id} “Ana Novak”"),
        ]
        assert "041 111 222" in rows[1][3] and "Ana Novak" in rows[1][3]
        assert all(when.tzinfo is not None for when, *_rest in rows)
        assert "Bor" not in repr(rows)

        emit("crm_subject_erase", context(), contact=ana, mode="anonymize")
        db.session.commit()
        after = _audit_rows(ana)
        assert [details for *_rest, details in after[:3]] == [None, None, None]
        assert all("[details erased]" in what for _w, _a, what, _d in after[:3])
        assert verify_chain(audited.id).ok


def test_with_the_plugin_off_the_log_adds_no_section(app, audited):
    switch(app, audited.id, True, plugin="export")
    switch(app, audited.id, False)
    with acting(app, audited):
        ana = Contact(first_name="Ana", last_name="Novak", email="ana@novak.si")
        db.session.add(ana)
        db.session.commit()
        pack = contact_pack(context(), ana)
        assert "audit.history" not in [s.key for s in pack.sections]
