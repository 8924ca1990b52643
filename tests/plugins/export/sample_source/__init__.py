"""A throw-away plugin of the export tests: it contributes one section to a person's data."""

MANIFEST = {
    "name": "export_sample",
    "version": "1.0",
    "depends": [],
    "summary": "Sample subject-data source of the export tests.",
}
