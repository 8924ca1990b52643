"""A throw-away plugin that needs `sample`."""

MANIFEST = {"name": "sample_child", "version": "0.1", "depends": ["sample"], "summary": ""}
