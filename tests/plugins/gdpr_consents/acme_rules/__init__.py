"""A test plugin using the extension points of `gdpr_consents`: a consent rule, an extra
source with a required field, a named segment filter, and a listener of consent changes."""

MANIFEST = {"name": "acme_rules", "version": "1.0", "depends": ["gdpr_consents"],
            "summary": "Test integrator plugin."}
