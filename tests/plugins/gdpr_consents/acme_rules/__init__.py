"""A test plugin using the extension points of `gdpr_consents`: a consent rule, an extra
source with a required field and an extra form field, a named segment filter, a mailing
system whose reader gives times without a zone, and a listener of consent changes."""

MANIFEST = {"name": "acme_rules", "version": "1.0", "depends": ["gdpr_consents"],
            "summary": "Test integrator plugin."}
