"""The `audit` plugin: Tamper-evident audit trail of every user action, kept five years."""

MANIFEST = {
    "name": "audit",
    "version": "0.1.0",
    "depends": [],
    "summary": "Tamper-evident audit trail of every user action, kept five years.",
}
