"""Every command that writes `-o FILE` says in one sentence when it cannot, exits 1, leaves
nothing half-written and records no export for a file that was not written."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from core.cli.common import CliError, output_file
from core.db import db
from core.models import Contact
from core.scoping import tenant_scope
from plugins.audit.models import AuditEntry

COMMANDS = {
    "consents receipt": ["consents", "receipt", "1", "--tenant", "acme"],
    "segments export": ["segments", "export", "newsletter", "--tenant", "acme", "--format",
                        "csv"],
    "consents template": ["consents", "template", "--tenant", "acme"],
    "audit export": ["audit", "export", "--tenant", "acme", "--format", "xlsx"],
    "export subject": ["export", "subject", "ana@firma.si", "--tenant", "acme", "--format",
                       "json"],
}


@pytest.fixture
def acme_with_a_consent(app, cli, tenant_a):
    for plugin in ("audit", "gdpr_consents", "export"):
        enabled = cli.invoke(args=["plugins", "enable", plugin, "--tenant", "acme"])
        assert enabled.exit_code == 0, enabled.output
    with app.app_context(), tenant_scope(tenant_a.id):
        db.session.add(Contact(email="ana@firma.si", first_name="Ana", tenant_id=tenant_a.id))
        db.session.commit()
    granted = cli.invoke(args=["consents", "grant", "ana@firma.si", "newsletter", "--tenant",
                               "acme", "--given-at", "2025-01-10"])
    assert granted.exit_code == 0, granted.output
    return tenant_a


def _exports_logged(app, tenant_id: int) -> int:
    with app.app_context(), tenant_scope(tenant_id):
        return db.session.scalar(select(func.count()).select_from(AuditEntry).where(
            AuditEntry.tenant_id == tenant_id, AuditEntry.action == "exported"))


@pytest.mark.parametrize("command", list(COMMANDS))
def test_a_missing_folder_is_one_sentence_and_exit_1(app, cli, acme_with_a_consent, tmp_path,
                                                     command):
    target = tmp_path / "nonexistent" / "dir" / "x.out"
    result = cli.invoke(args=[*COMMANDS[command], "-o", str(target)])
    assert result.exit_code == 1
    assert result.output == f"Error: cannot write {target}: No such file or directory.\n"
    assert not target.parent.exists()
    assert _exports_logged(app, acme_with_a_consent.id) == 0


@pytest.mark.parametrize("command", list(COMMANDS))
def test_the_file_is_written_whole_and_private(cli, acme_with_a_consent, tmp_path, command):
    folder = tmp_path / "out"
    folder.mkdir()
    target = folder / "out.file"
    result = cli.invoke(args=[*COMMANDS[command], "-o", str(target)])
    assert result.exit_code == 0, result.output
    assert target.stat().st_size > 0
    assert target.stat().st_mode & 0o777 == 0o600
    assert [p.name for p in folder.iterdir()] == ["out.file"]


def test_a_folder_as_output_is_bad_usage(cli, acme_with_a_consent, tmp_path):
    result = cli.invoke(args=[*COMMANDS["consents template"], "-o", str(tmp_path)])
    assert result.exit_code == 2
    assert f"File '{tmp_path}' is a directory." in result.output


def test_a_failing_writer_leaves_the_old_file_as_it_was(app, tmp_path):
    folder = tmp_path / "out"
    folder.mkdir()
    target = folder / "report.csv"
    target.write_text("old\n")
    refused = pytest.raises(CliError, match=f"^cannot write {target}: Disk full.$")
    with app.app_context(), refused, output_file(target) as partial:
        partial.write_text("half")
        raise OSError(28, "Disk full")
    assert target.read_text() == "old\n"
    assert [p.name for p in folder.iterdir()] == ["report.csv"]
