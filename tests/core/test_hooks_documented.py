"""docs/hooks.md and the hook specifications stay in step."""

from __future__ import annotations

import inspect
import re
from pathlib import Path

from core import hookspecs

DOCS = Path(__file__).resolve().parents[2] / "docs" / "hooks.md"


def _specs(app) -> set[str]:
    host = app.extensions["crm"]["plugins"]
    names = {
        n for n, _ in inspect.getmembers(hookspecs, inspect.isfunction) if n.startswith("crm_")
    }
    # specs that installed plugins add of their own
    names |= {name for name in host.pm.hook.__dict__ if name.startswith("crm_")
              and getattr(host.pm.hook, name).spec is not None}
    return names


def _documented() -> set[str]:
    return set(re.findall(r"^### (crm_\w+)\s*$", DOCS.read_text(), flags=re.MULTILINE))


def test_every_hook_spec_is_documented(app):
    missing = _specs(app) - _documented()
    assert not missing, f"add these hooks to docs/hooks.md: {sorted(missing)}"


def test_every_documented_hook_has_a_spec(app):
    stale = _documented() - _specs(app)
    assert not stale, f"docs/hooks.md documents hooks that have no spec: {sorted(stale)}"


def test_every_spec_has_a_docstring_saying_when_it_is_called():
    for name, fn in inspect.getmembers(hookspecs, inspect.isfunction):
        if name.startswith("crm_"):
            assert fn.__doc__ and "alled" in fn.__doc__, name
