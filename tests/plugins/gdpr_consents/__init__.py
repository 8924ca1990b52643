"""Tests of the `gdpr_consents` plugin."""
