"""The `export` plugin: right of access to Word, Excel and JSON; subject requests."""

PLUGIN = "export"

MANIFEST = {
    "name": "export",
    "version": "0.1.0",
    "depends": [],
    "summary": "Right of access: a person's data to Word, Excel and JSON; subject requests.",
}
