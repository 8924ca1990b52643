"""The `trash` plugin: Recycle bin, retention, erasure with its ledger."""

PLUGIN = "trash"

MANIFEST = {
    "name": "trash",
    "version": "0.1.0",
    "depends": [],
    "summary": "Recycle bin, retention, erasure with its ledger.",
}
