"""A plugin whose command name is one `crm` has of its own (shell)."""

MANIFEST = {"name": "shell_rival", "version": "0", "depends": []}
