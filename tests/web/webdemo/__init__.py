"""A throw-away plugin for the web tests: an admin page, settings, and a dependency."""

MANIFEST = {
    "name": "webdemo",
    "version": "9.9.9",
    "depends": ["audit"],
    "summary": "Sample plugin of the web tests.",
}
