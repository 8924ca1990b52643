"""A plugin whose hooks raise (a bug in a plugin): for what the core does then."""

MANIFEST = {"name": "failing", "version": "0.1", "depends": [], "summary": "Raises."}
