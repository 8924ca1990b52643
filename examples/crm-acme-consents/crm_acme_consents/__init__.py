"""Acme's consent plugin: consents signed at the counter (with a receipt number), SMS only
to mobile numbers, a "has a mobile number" segment filter and Postbox webhooks."""

MANIFEST = {
    "name": "acme_consents",
    "version": "1.0.0",
    "depends": ["gdpr_consents"],
    "summary": "Counter consents with receipt numbers, SMS rule, Postbox webhooks.",
}
