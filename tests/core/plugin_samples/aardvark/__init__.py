"""A plugin whose command name is taken by another plugin (audit); it boots before audit."""

MANIFEST = {"name": "aardvark", "version": "0", "depends": []}
