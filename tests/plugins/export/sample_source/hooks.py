"""Hooks of the `export_sample` plugin."""

from __future__ import annotations

from typing import Any

from core.events import Section
from core.hookspecs import hookimpl


@hookimpl
def crm_subject_data(ctx: Any, contact: Any) -> list[Section]:
    """A section naming the person, as a plugin's part of the export."""
    return [Section("export_sample.notes", "Sample notes", ["Note"],
                    [[f"sample note about {contact.email}"]], "export_sample")]
