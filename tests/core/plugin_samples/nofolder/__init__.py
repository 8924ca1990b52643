"""A plugin with a table and no migrations folder (as a non-editable install without
package data leaves it)."""

MANIFEST = {"name": "nofolder", "version": "0.1", "depends": [], "summary": "No migrations."}
