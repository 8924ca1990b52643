"""Gathering: only this person, only live rows, every enabled plugin's sections."""

from __future__ import annotations

from plugins.export.gather import company_pack, contact_pack
from tests.plugins.export.conftest import INTERNAL_NOTE, OTHERS, TRASHED, contact, switch


def _text(pack) -> str:
    return repr([(s.key, s.rows) for s in pack.sections])


def test_the_persons_sections_come_from_the_core_and_enabled_plugins(app, people, in_acme):
    pack = contact_pack(in_acme, contact(people.ann))
    keys = [s.key for s in pack.sections]
    assert keys[:4] == ["profile", "company", "activities", "attachments"]
    assert "export.requests" in keys
    assert pack.label == "Ann Kos Čšž 😀" and pack.email == "ann@x.si"
    assert pack.organisation == "Acme d.o.o." and pack.time_zone == "Europe/Ljubljana"
    activities = next(s for s in pack.sections if s.key == "activities")
    subjects = sorted(row[2] for row in activities.rows)
    assert subjects == sorted(["Klic Ann", "Sestanek obeh", INTERNAL_NOTE,
                               '=HYPERLINK("http://evil.example","klik")'])


def test_no_other_person_no_trashed_row_no_other_tenant(app, people, in_acme):
    text = _text(contact_pack(in_acme, contact(people.ann)))
    for marker in (*OTHERS, TRASHED, "joann.pdf"):
        assert marker not in text


def test_item_ids_are_stable_and_the_digest_follows_the_data(app, people, in_acme):
    ann = contact(people.ann)
    first, again = contact_pack(in_acme, ann), contact_pack(in_acme, ann)
    assert first.digest() == again.digest()
    ids = [i.id for s in first.sections for i in s.items]
    assert len(ids) == len(set(ids))
    ann.phone = "+386 40 000 000"
    assert contact_pack(in_acme, ann).digest() != first.digest()


def test_choose_leaves_out_unticked_items_and_sections(app, people, in_acme):
    pack = contact_pack(in_acme, contact(people.ann))
    activities = next(s for s in pack.sections if s.key == "activities")
    note = next(i for i in activities.items if i.values[2] == INTERNAL_NOTE)
    keep_items = [i.id for s in pack.sections for i in s.items if i is not note]
    keep_sections = [s.key for s in pack.sections if s.key != "attachments"]
    chosen, left_out = pack.choose(keep_sections, keep_items)
    assert INTERNAL_NOTE not in _text(chosen)
    assert "attachments" not in [s.key for s in chosen.sections]
    assert {(e["section"], e["item"]) for e in left_out} == {
        ("activities", note.id), ("attachments", "*")}
    assert INTERNAL_NOTE in next(e["label"] for e in left_out if e["item"] == note.id)


def test_a_disabled_plugin_contributes_nothing(app, database_url, tmp_path, people, acme):
    from core.scoping import tenant_scope
    from tests.conftest import build_app
    from tests.plugins.export import sample_source
    from tests.plugins.export.conftest import tenant_ctx
    from tests.support import BUILTIN_PLUGINS

    other = build_app(database_url, tmp_path / "sample", EXTRA_PLUGINS=[sample_source],
                      PLUGINS=[*BUILTIN_PLUGINS, "export_sample"])

    def sources() -> list[tuple[str, str]]:
        with other.app_context(), tenant_scope(acme.id):
            pack = contact_pack(tenant_ctx(acme.id), contact(people.ann))
            return [(s.plugin, s.key) for s in pack.sections]

    try:
        assert "export_sample" not in {plugin for plugin, _ in sources()}
        switch(other, acme.id, "export_sample", on=True)
        found = sources()
        # the core first, then the plugins in installation order
        assert found[0] == ("core", "profile") and found[-1] == ("export_sample",
                                                                "export_sample.notes")
        switch(other, acme.id, "export_sample", on=False)
        assert {plugin for plugin, _ in sources()} == {"core", "export"}
    finally:
        with other.app_context():
            from core.db import db

            db.session.remove()
            db.engine.dispose()


def test_company_pack_holds_the_company_its_contacts_and_their_activities(app, people,
                                                                          in_acme):
    from core.db import db
    from core.models import Company

    pack = company_pack(in_acme, db.session.get(Company, people.company))
    sections = {s.key: s for s in pack.sections}
    assert ["Name", "Lipa d.o.o."] in sections["company"].rows
    assert sorted(r[2] for r in sections["contacts"].rows) == ["ann@x.si", "joann@x.si"]
    subjects = {r[2] for r in sections["activities"].rows}
    assert {"Klic Ann", "Sestanek obeh", "Samo Joann", INTERNAL_NOTE} <= subjects
    assert TRASHED not in subjects
    shared = next(r for r in sections["activities"].rows if r[2] == "Sestanek obeh")
    assert shared[5] == 0 and "Joann Žagar" in shared[4]
    assert "Beta Ann" not in _text(pack)
