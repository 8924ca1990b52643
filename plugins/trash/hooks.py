"""Hook implementations of the `trash` plugin (thin; the logic lives in its modules)."""
