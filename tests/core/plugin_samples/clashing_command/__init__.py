"""A plugin whose command name is taken by the core."""

MANIFEST = {"name": "clashing_command", "version": "0", "depends": []}
