"""Hook implementations of the `gdpr_consents` plugin (thin; the logic lives in its modules)."""
