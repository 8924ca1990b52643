"""`crm audit verify` catches every kind of tampering and names the first bad entry."""

from __future__ import annotations

import pytest

from core.db import db
from core.models import Contact
from tests.plugins.audit.conftest import acting, entries, raw, switch


@pytest.fixture
def trail(app, audited, tenant_b):
    """Six entries in acme's chain (seq 1..6) and some in beta's, which must not matter."""
    switch(app, tenant_b.id, True)
    for tenant in (audited, tenant_b):
        with acting(app, tenant):
            contacts = [Contact(first_name=f"Person {n}", email=f"p{n}@x.si") for n in range(3)]
            db.session.add_all(contacts)
            db.session.commit()
            contacts[0].phone = "01 234 56 78"
            contacts[1].notes = "VIP"
            db.session.commit()
    return {e.seq: e for e in entries(app, audited.id)}


def _verify(cli, *args):
    return cli.invoke(args=["audit", "verify", *(args or ("--tenant", "acme"))])


def test_an_untouched_chain_verifies(cli, trail):
    assert sorted(trail) == [1, 2, 3, 4, 5, 6]
    result = _verify(cli)
    assert result.exit_code == 0, result.output
    assert "intact: 6 entries, seq 1 to 6" in result.output


TAMPERING = {
    "changed field": (
        ["UPDATE audit_entry SET actor = 'user:mallory@x.si' WHERE tenant_id = :t AND seq = 3"],
        "entry seq 3 (id {3}) does not match the chain"),
    "changed target": (
        ["UPDATE audit_entry SET target_id = 999 WHERE tenant_id = :t AND seq = 5"],
        "entry seq 5 (id {5}) does not match the chain"),
    "changed label": (
        ["UPDATE audit_entry SET label = 'Someone Else' WHERE tenant_id = :t AND seq = 2"],
        "entry seq 2 (id {2}) was changed: its personal details"),
    "changed values": (
        ["UPDATE audit_entry SET details = '{{\"changes\":{{\"phone\":[null,\"0\"]}}}}' "
         "WHERE tenant_id = :t AND seq = 5"],
        "entry seq 5 (id {5}) was changed: its personal details"),
    "removed entry": (
        ["DELETE FROM audit_entry WHERE tenant_id = :t AND seq = 3"],
        "entry seq 3 was removed: the chain jumps from seq 2 to seq 4 (id {4})"),
    "removed newest entries": (
        ["DELETE FROM audit_entry WHERE tenant_id = :t AND seq >= 5"],
        "the newest entries were removed: the chain ends at seq 4"),
    "renumbered after a removal": (
        ["DELETE FROM audit_entry WHERE tenant_id = :t AND seq = 3",
         "UPDATE audit_entry SET seq = seq - 1 WHERE tenant_id = :t AND seq > 3",
         "UPDATE audit_chain SET last_seq = 5 WHERE chain = :t"],
        "entry seq 3 (id {4}) does not match the chain"),
    "swapped entries": (
        ["UPDATE audit_entry SET seq = -2 WHERE tenant_id = :t AND seq = 2",
         "UPDATE audit_entry SET seq = 2 WHERE tenant_id = :t AND seq = 3",
         "UPDATE audit_entry SET seq = 3 WHERE tenant_id = :t AND seq = -2"],
        "entry seq 2 (id {3}) does not match the chain"),
    "replaced head": (
        ["UPDATE audit_chain SET last_hash = '" + "0" * 64 + "' WHERE chain = :t"],
        "entry seq 6 (id {6}) does not match the chain head"),
    "details wiped without a redaction": (
        ["UPDATE audit_entry SET label = NULL, details = NULL, salt = NULL, "
         "redaction = 'f00d' WHERE tenant_id = :t AND seq = 2"],
        "entry seq 2 (id {2}) had its personal details removed without a redaction entry"),
}


@pytest.mark.parametrize("kind", list(TAMPERING))
def test_tampering_is_detected_and_the_first_bad_entry_named(app, cli, trail, audited, kind):
    statements, expected = TAMPERING[kind]
    for sql in statements:
        raw(app, sql, t=audited.id)
    result = _verify(cli)
    assert result.exit_code == 1
    assert result.output.startswith("Error: The audit trail of 'acme' was tampered with: ")
    assert expected.format(*[None] + [trail[n].id for n in range(1, 7)]) in result.output


def test_an_entry_rehashed_to_hide_a_change_breaks_the_next_link(app, cli, trail, audited):
    from plugins.audit.chain import chained_fields, entry_hash

    forged = {c: getattr(trail[4], c) for c in (
        "tenant_id", "seq", "at", "actor", "user_id", "action", "target_type", "target_id",
        "contact_id", "request_id", "info", "digest")}
    forged["actor"] = "user:mallory@x.si"
    new_hash = entry_hash(trail[3].hash, chained_fields(forged))
    raw(app, "UPDATE audit_entry SET actor = :a, hash = :h WHERE tenant_id = :t AND seq = 4",
        a=forged["actor"], h=new_hash, t=audited.id)
    result = _verify(cli)
    assert result.exit_code == 1
    assert f"entry seq 5 (id {trail[5].id}) does not match the chain" in result.output


def test_entries_removed_from_the_start_with_a_forged_checkpoint_are_detected(
        app, cli, trail, audited):
    raw(app, "DELETE FROM audit_entry WHERE tenant_id = :t AND seq <= 2", t=audited.id)
    raw(app, "INSERT INTO audit_checkpoint (chain, tenant_id, seq, hash, purged, purged_at) "
             "VALUES (:t, :t, 2, :h, 2, :now)", t=audited.id, h=trail[2].hash,
        now=trail[2].at)
    result = _verify(cli)
    assert result.exit_code == 1
    assert "no purge entry in the chain records that checkpoint" in result.output


def test_another_tenants_chain_is_not_affected(app, cli, trail, audited):
    raw(app, "DELETE FROM audit_entry WHERE tenant_id = :t AND seq = 3", t=audited.id)
    assert _verify(cli).exit_code == 1
    result = _verify(cli, "--tenant", "beta")
    assert result.exit_code == 0, result.output


def test_verify_needs_a_chain(cli, trail):
    assert cli.invoke(args=["audit", "verify"]).exit_code == 2
    assert cli.invoke(args=["audit", "verify", "--tenant", "acme", "--platform"]).exit_code == 2
    missing = cli.invoke(args=["audit", "verify", "--tenant", "nope"])
    assert missing.exit_code == 1
    assert "There is no tenant 'nope'" in missing.output
    empty = cli.invoke(args=["audit", "verify", "--platform"])
    assert empty.exit_code == 0 and "empty" in empty.output
