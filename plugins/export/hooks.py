"""Hook implementations of the `export` plugin (thin; the logic lives in its modules)."""
