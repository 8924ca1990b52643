"""A throw-away plugin that records every runtime hook call it receives."""

MANIFEST = {"name": "sample", "version": "1.2.3", "depends": [], "summary": "Test listener."}
