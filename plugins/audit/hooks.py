"""Hook implementations of the `audit` plugin (thin; the logic lives in its modules)."""
