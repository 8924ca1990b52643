"""The `gdpr_consents` plugin: purposes, provable consents, segments, consent intake."""

PLUGIN = "gdpr_consents"

MANIFEST = {
    "name": "gdpr_consents",
    "version": "0.1.0",
    "depends": [],
    "summary": "Purposes, provable consents with history, segments, consent intake.",
}
