"""After a backup restore: rows kept under an erased address and no contact (a web form
submission never confirmed, a deliverability mark, mailing-system events) that came back
with the older database are erased again.

Runs after the trash plugin carried its erasure ledger across the restore (the hook is
`trylast`), and asks the ledger through `crm_is_suppressed` about each address such a row
holds, tenant by tenant; commits per tenant.
"""

from __future__ import annotations

from flask import current_app
from sqlalchemy import select

from core.db import db
from core.events import context, emit
from core.models import Tenant
from core.scoping import all_tenants, tenant_scope
from plugins.gdpr_consents import PLUGIN
from plugins.gdpr_consents.intake.subject import erase_address
from plugins.gdpr_consents.intake.webform.models import FormSubmission
from plugins.gdpr_consents.models import Undeliverable, WebhookEvent


def _addresses_without_contact() -> set[str]:
    """The addresses of the tenant in scope that rows without a contact hold."""
    found: set[str] = set()
    for statement in (
        select(FormSubmission.email).where(FormSubmission.contact_id.is_(None),
                                           FormSubmission.email.is_not(None)),
        select(Undeliverable.email).where(Undeliverable.contact_id.is_(None)),
        select(WebhookEvent.email).where(WebhookEvent.email.is_not(None)),
    ):
        found.update(db.session.scalars(statement.distinct()))
    return found


def erase_again(actor: str) -> list[str]:
    """Erase again, in every tenant with the plugin, what is kept under an address the
    erasure ledger holds and no contact; one report line per tenant that had some."""
    with all_tenants():
        tenants = list(db.session.scalars(select(Tenant).order_by(Tenant.slug)))
    host = current_app.extensions["crm"]["plugins"]
    lines = []
    for tenant in tenants:
        if not host.is_enabled(tenant.id, PLUGIN):
            continue
        ctx = context(tenant=tenant, actor=actor)
        with tenant_scope(tenant.id):
            again = 0
            for address in sorted(_addresses_without_contact()):
                if emit("crm_is_suppressed", ctx, email=address) and erase_address(
                        ctx, address, "erase"):
                    again += 1
            db.session.commit()
        if again:
            lines.append(f"gdpr_consents: {tenant.slug}: what {again} erased address(es) "
                         "had without a contact (form submissions, marks, events) came back "
                         "with the backup and was erased again.")
    return lines
