"""A plugin whose table lacks its prefix (the host must refuse it)."""

MANIFEST = {"name": "bad_prefix", "version": "0", "depends": []}
