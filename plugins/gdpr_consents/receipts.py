"""Consent receipts in the shape of the Kantara Initiative Consent Receipt Specification v1.1.

One receipt per consent: the controller (the tenant, with the contact details from the
plugin's settings), the subject (the contact's address), the purpose with its legal basis
and termination, the collection method (the source), the timestamps, and the policy URL.
The receipt id is derived from the consent and the instant it was given, so the same
consent state always gives the same receipt.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from core.events import EventContext
from core.settings import all_settings
from plugins.gdpr_consents import PLUGIN
from plugins.gdpr_consents.consents import known_sources
from plugins.gdpr_consents.intake.webform.flow import manage_link
from plugins.gdpr_consents.models import Consent, ConsentState, LegalBasis

VERSION = "KI-CR-v1.1.0"
RECEIPT_NAMESPACE = uuid.UUID("6f6d9f0e-5a8b-4c61-9d53-0c3b8a7e2f41")

CONSENT_TYPES = {
    "web_form": "EXPLICIT",
    "manual": "EXPLICIT",
}

BASIS_CATEGORY = {
    LegalBasis.CONSENT: "Consent (GDPR Art. 6(1)(a))",
    LegalBasis.CONTRACT: "Contract (GDPR Art. 6(1)(b))",
    LegalBasis.LEGAL_OBLIGATION: "Legal obligation (GDPR Art. 6(1)(c))",
    LegalBasis.VITAL_INTERESTS: "Vital interests (GDPR Art. 6(1)(d))",
    LegalBasis.PUBLIC_TASK: "Public task (GDPR Art. 6(1)(e))",
    LegalBasis.LEGITIMATE_INTERESTS: "Legitimate interests (GDPR Art. 6(1)(f))",
}


class ReceiptUnavailable(ValueError):
    """A consent that was never given has no receipt."""


def _epoch(moment: datetime | None) -> int | None:
    return None if moment is None else int(moment.timestamp())


def receipt(ctx: EventContext, consent: Consent) -> dict[str, Any]:
    """Return the Kantara Consent Receipt v1.1 of `consent` as JSON-ready data. Raises
    ReceiptUnavailable for a consent that was refused or is pending."""
    if consent.given_at is None or consent.state in (ConsentState.REFUSED,
                                                     ConsentState.PENDING):
        raise ReceiptUnavailable(
            f"consent #{consent.id} is {consent.state.value}; only a given consent has a "
            "receipt."
        )
    tenant = ctx.tenant
    settings = all_settings(tenant.id, PLUGIN)
    purpose = consent.purpose
    sources = known_sources(ctx)
    method = sources.get(consent.source, {}).get("label", consent.source)
    if consent.source_detail:
        method = f"{method}: {consent.source_detail}"
    if consent.expires_at is not None:
        termination = (f"Ends on {consent.expires_at.isoformat()} or when withdrawn, "
                       "whichever comes first.")
    else:
        termination = "Until withdrawn."
    jurisdiction = settings.get("jurisdiction") or "SI"
    categories = [BASIS_CATEGORY[purpose.legal_basis]]
    if purpose.marketing:
        categories.append("6 - Marketing")
    receipt_id = uuid.uuid5(
        RECEIPT_NAMESPACE, f"{tenant.id}:{consent.id}:{consent.given_at.isoformat()}"
    )
    document: dict[str, Any] = {
        "version": VERSION,
        "jurisdiction": jurisdiction,
        "consentTimestamp": _epoch(consent.given_at),
        "collectionMethod": method,
        "consentReceiptID": str(receipt_id),
        "language": settings.get("language") or "en",
        "piiPrincipalId": consent.contact.email or f"contact #{consent.contact_id}",
        "piiControllers": [{
            "piiController": tenant.name,
            "onBehalf": False,
            "contact": settings.get("controller_contact") or tenant.name,
            "address": {
                "streetAddress": " ".join((settings.get("controller_address") or "").split()),
                "addressCountry": jurisdiction,
            },
            "email": settings.get("controller_email") or "",
            "phone": settings.get("controller_phone") or "",
            "piiControllerUrl": settings.get("controller_url") or "",
        }],
        "policyUrl": settings.get("policy_url") or "",
        "services": [{
            "service": tenant.name,
            "purposes": [{
                "purpose": purpose.name + (f": {purpose.description}"
                                           if purpose.description else ""),
                "purposeCategory": categories,
                "consentType": CONSENT_TYPES.get(consent.source, "EXPLICIT"),
                "piiCategory": ["2 - Contact"],
                "primaryPurpose": True,
                "termination": termination,
                "thirdPartyDisclosure": False,
            }],
        }],
        "sensitive": False,
        "spiCat": [],
    }
    extensions: dict[str, Any] = {
        "purposeCode": purpose.code,
        "state": consent.state.value,
        "expiresTimestamp": _epoch(consent.expires_at),
        "withdrawnTimestamp": _epoch(consent.withdrawn_at),
        "noticeVersion": consent.notice_version,
        "noticeSha256": consent.notice_hash,
        # Art. 7(3): withdrawing as easy as giving; the page lists every consent
        "withdrawUrl": manage_link(ctx, consent.contact_id),
    }
    document["x-crm-gdpr"] = {k: v for k, v in extensions.items() if v is not None}
    return document

