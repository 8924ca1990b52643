"""`crm backup create|list|prune|restore`: one archive with the database and the files."""

from __future__ import annotations

import io
import json
import stat
import tarfile

from sqlalchemy import select

from core.attachments import attachment_store
from core.backup import backup_dir
from core.db import db
from core.models import Contact
from core.schema import current_revisions
from core.scoping import tenant_scope
from tests.conftest import build_app
from tests.core.plugin_samples import sample
from tests.support import BUILTIN_PLUGINS

PDF = b"%PDF-1.4\n%%EOF\n"


def _emails(app, tenant_id):
    with app.app_context(), tenant_scope(tenant_id):
        return sorted(db.session.scalars(select(Contact.email)).all())


def test_a_backup_restores_the_database_and_the_files(app, cli, tenant_a):
    with app.app_context(), tenant_scope(tenant_a.id):
        db.session.add(Contact(first_name="Ana", email="ana@acme.si"))
        kept = attachment_store().save(owner_type="contact", owner_id=1, filename="s.pdf",
                                       stream=io.BytesIO(PDF), tenant_id=tenant_a.id)
        db.session.commit()
        kept_path = attachment_store().path(kept)
    made = cli.invoke(args=["backup", "create"])
    assert made.exit_code == 0, made.output
    (archive,) = backup_dir(app).glob("crm-backup-*.tar.gz")
    assert stat.S_IMODE(archive.stat().st_mode) == 0o600
    with tarfile.open(archive) as tar:
        manifest = json.load(tar.extractfile("manifest.json"))
        names = tar.getnames()
    assert manifest["database"] in {"sqlite", "postgresql"}
    assert manifest["revisions"] == sorted(current_revisions(app))
    assert any(n.startswith("attachments/") for n in names)

    with app.app_context(), tenant_scope(tenant_a.id):
        db.session.add(Contact(first_name="Boris", email="boris@acme.si"))
        db.session.commit()
    kept_path.unlink()

    restored = cli.invoke(args=["backup", "restore", str(archive), "--yes"])
    assert restored.exit_code == 0, restored.output
    assert _emails(app, tenant_a.id) == ["ana@acme.si"]
    assert kept_path.read_bytes() == PDF
    listing = cli.invoke(args=["backup", "list"])
    assert archive.name in listing.output


def test_restore_tells_plugins_so_they_can_reapply_erasures(app, database_url, tmp_path):
    sample_app = build_app(database_url, tmp_path / "i", EXTRA_PLUGINS=[sample],
                           PLUGINS=[*BUILTIN_PLUGINS, "sample"])
    cli = sample_app.test_cli_runner()
    assert cli.invoke(args=["backup", "create"]).exit_code == 0
    (archive,) = backup_dir(sample_app).glob("crm-backup-*.tar.gz")
    result = cli.invoke(args=["backup", "restore", str(archive), "--yes"])
    assert result.exit_code == 0, result.output
    assert f"sample saw {archive.name}" in result.output


def test_a_file_that_is_not_a_backup_is_refused_and_nothing_changes(app, cli, tenant_a, tmp_path):
    with app.app_context(), tenant_scope(tenant_a.id):
        db.session.add(Contact(first_name="Ana", email="ana@acme.si"))
        db.session.commit()
    bogus = tmp_path / "holiday.tar.gz"
    bogus.write_bytes(b"these are photos, not a backup")
    result = cli.invoke(args=["backup", "restore", str(bogus), "--yes"])
    assert result.exit_code == 1
    assert result.output.strip() == (
        "Error: Nothing was restored: holiday.tar.gz is not a crm backup "
        "(it is not a readable .tar.gz)."
    )
    missing = cli.invoke(args=["backup", "restore", str(tmp_path / "nope.tar.gz"), "--yes"])
    assert missing.exit_code == 1
    assert _emails(app, tenant_a.id) == ["ana@acme.si"]


def test_a_tarball_without_a_manifest_is_refused(app, cli, tmp_path):
    other = tmp_path / "crm-backup-20240101T000000Z.tar.gz"
    with tarfile.open(other, "w:gz") as tar:
        info = tarfile.TarInfo("readme.txt")
        info.size = 2
        tar.addfile(info, io.BytesIO(b"hi"))
    result = cli.invoke(args=["backup", "restore", str(other), "--yes"])
    assert result.exit_code == 1
    assert "has no valid manifest" in result.output


def test_prune_keeps_only_the_last_days(app, cli):
    folder = backup_dir(app)
    old = folder / "crm-backup-20200101T000000000000Z.tar.gz"
    old.write_bytes(b"x")
    assert cli.invoke(args=["backup", "create"]).exit_code == 0
    result = cli.invoke(args=["backup", "prune", "--keep-days", "30"])
    assert result.exit_code == 0
    assert "Deleted crm-backup-20200101T000000000000Z.tar.gz." in result.output
    assert not old.exists()
    assert len(list(folder.glob("crm-backup-*.tar.gz"))) == 1
    assert cli.invoke(args=["backup", "prune", "--keep-days", "-1"]).exit_code == 2
