"""A plugin with a table and an empty migrations folder (its revision not written yet)."""

MANIFEST = {"name": "emptybranch", "version": "0.1", "depends": [], "summary": "No revision."}
