"""The one attachment store: bytes in the instance folder, metadata in `Attachment`.

Files are kept under `<instance>/attachments/<tenant id>/<random name>`, never under the
web root and never under a name the uploader chose. An upload is read in chunks into a
temporary file; it is refused before it is stored when it is larger than the limit or when
its bytes are not of an allowed type (the type is read from the bytes, not the name).

Which record a file belongs to is `(owner_type, owner_id)`. `owner_type_of` and
`owner_model` are the one mapping between a model and its `owner_type`, for the core's
records and plugins' alike: the table name (`contact`, `company`, `activity`), unless the
model declares `__attachment_owner_type__` (the consents plugin's proofs keep
`gdpr_consents.consent`). Every look-up of a record's files goes through `owned_by`.
"""

from __future__ import annotations

import hashlib
import os
import secrets
import tempfile
from collections.abc import Iterable
from pathlib import Path
from typing import Any, BinaryIO

import filetype
from flask import current_app
from sqlalchemy import ColumnElement, and_, event, false
from sqlalchemy.orm import Session

from core.db import CrmSession, db
from core.models import Attachment
from core.text import sanitize_text

CHUNK = 64 * 1024
OWNER_TYPE_ATTRIBUTE = "__attachment_owner_type__"


class AttachmentRejected(ValueError):
    """An upload that is not stored; `status` is the HTTP status to answer with."""

    status = 400


class AttachmentTooLarge(AttachmentRejected):
    """The upload is over the size limit."""

    status = 413


class AttachmentTypeNotAllowed(AttachmentRejected):
    """The upload's bytes are not of an allowed type."""

    status = 415


class AttachmentStore:
    """Stores, opens and removes attachment files for one app."""

    def __init__(self, root: Path, max_bytes: int, allowed_types: list[str]) -> None:
        self.root = root
        self.max_bytes = max_bytes
        self.allowed_types = set(allowed_types)

    def save(
        self,
        *,
        owner_type: str,
        owner_id: int,
        filename: str,
        stream: BinaryIO,
        uploaded_by_id: int | None = None,
        tenant_id: int,
    ) -> Attachment:
        """Check and store `stream`; add and return its `Attachment` row (not committed).

        Raises AttachmentTooLarge or AttachmentTypeNotAllowed, leaving nothing behind.
        """
        display_name = clean_filename(filename)
        folder = self.root / str(tenant_id)
        folder.mkdir(parents=True, exist_ok=True, mode=0o700)
        digest = hashlib.sha256()
        size = 0
        head = b""
        fd, temp_name = tempfile.mkstemp(dir=folder, prefix=".upload-")
        try:
            with os.fdopen(fd, "wb") as out:
                while chunk := stream.read(CHUNK):
                    size += len(chunk)
                    if size > self.max_bytes:
                        raise AttachmentTooLarge(
                            f"'{display_name}' is larger than the limit of "
                            f"{self.max_bytes // (1024 * 1024)} MB."
                        )
                    if len(head) < 8192:
                        head += chunk[: 8192 - len(head)]
                    digest.update(chunk)
                    out.write(chunk)
            if size == 0:
                raise AttachmentRejected(f"'{display_name}' is empty.")
            kind = filetype.guess(head)
            mime = kind.mime if kind else "unknown"
            if mime not in self.allowed_types:
                allowed = ", ".join(sorted(t.split("/")[1].upper() for t in self.allowed_types))
                raise AttachmentTypeNotAllowed(
                    f"'{display_name}' is not an allowed file type (its content is "
                    f"{'not recognised' if kind is None else mime}); allowed: {allowed}."
                )
            storage_key = secrets.token_hex(16)
            final = folder / storage_key
            os.replace(temp_name, final)
            os.chmod(final, 0o600)
        except BaseException:
            Path(temp_name).unlink(missing_ok=True)
            raise
        attachment = Attachment(
            tenant_id=tenant_id,
            owner_type=owner_type,
            owner_id=owner_id,
            filename=display_name,
            content_type=mime,
            size=size,
            sha256=digest.hexdigest(),
            storage_key=storage_key,
            uploaded_by_id=uploaded_by_id,
        )
        db.session.add(attachment)
        return attachment

    def path(self, attachment: Attachment) -> Path:
        """Return where the attachment's bytes are on disk."""
        return self.root / str(attachment.tenant_id) / attachment.storage_key

    def remove_file(self, attachment: Attachment) -> None:
        """Delete the attachment's bytes from disk now; a missing file is fine."""
        self.path(attachment).unlink(missing_ok=True)

    def remove_file_on_commit(self, attachment: Attachment, session: Session) -> None:
        """Delete the bytes once the session's transaction commits (never on a rollback,
        so an interrupted purge leaves no row without its file)."""
        session.info.setdefault(_PENDING_REMOVALS, []).append(self.path(attachment))


_PENDING_REMOVALS = "crm.pending_file_removals"


@event.listens_for(CrmSession, "after_commit")
def _remove_files_after_commit(session: Session) -> None:
    for path in session.info.pop(_PENDING_REMOVALS, []):
        path.unlink(missing_ok=True)


@event.listens_for(CrmSession, "after_rollback")
def _keep_files_after_rollback(session: Session) -> None:
    session.info.pop(_PENDING_REMOVALS, None)


def clean_filename(name: str) -> str:
    """Return a display name: the last path part, sanitized, at most 200 characters."""
    base = sanitize_text(name or "").replace("\\", "/").split("/")[-1].strip()
    base = "".join(ch for ch in base if ch.isprintable())
    return (base or "file")[:200]


def owner_type_of(model: Any) -> str:
    """Return the `owner_type` under which the files of a record of `model` (a record or
    its class) are stored: the model's `__attachment_owner_type__` when it declares one,
    else its table name."""
    cls = model if isinstance(model, type) else type(model)
    return getattr(cls, OWNER_TYPE_ATTRIBUTE, None) or cls.__table__.name


def owner_model(owner_type: str) -> type | None:
    """Return the model whose records own files of `owner_type`, or None when no model
    loaded in this process does (a plugin not installed here, or a made-up type)."""
    for mapper in db.Model.registry.mappers:
        cls = mapper.class_
        if hasattr(cls, "__table__") and owner_type_of(cls) == owner_type:
            return cls
    return None


def owned_by(model: Any, owner_ids: Iterable[int]) -> ColumnElement[bool]:
    """The condition on `Attachment` for the files of the records `owner_ids` of `model`
    (a record or its class). Besides the IN list it bounds the ids as a range, which lets
    PostgreSQL and SQLite walk the owner index (tenant, type, id) instead of every file of
    the tenant of that type."""
    ids = sorted(set(owner_ids))
    if not ids:
        return false()
    return and_(Attachment.owner_type == owner_type_of(model), Attachment.owner_id.in_(ids),
                Attachment.owner_id.between(ids[0], ids[-1]))


def attachment_store() -> AttachmentStore:
    """Return the current app's attachment store."""
    return current_app.extensions["crm"]["attachments"]


def make_store(app_config: dict, instance_dir: str) -> AttachmentStore:
    """Build the store from the app's configuration."""
    root = Path(instance_dir) / "attachments"
    root.mkdir(parents=True, exist_ok=True, mode=0o700)
    return AttachmentStore(
        root=root,
        max_bytes=int(app_config["ATTACHMENT_MAX_BYTES"]),
        allowed_types=list(app_config["ATTACHMENT_TYPES"]),
    )
