"""Benchmark modules: every module in this package registers itself with `@benchmark`.

`load_all()` imports them all; a plugin issue adds its benchmark as a new module here.
"""

from __future__ import annotations

import importlib
import pkgutil


def load_all() -> list[str]:
    """Import every module of this package (registering its benchmarks); return their names."""
    names = []
    for module in pkgutil.iter_modules(__path__):
        importlib.import_module(f"{__name__}.{module.name}")
        names.append(module.name)
    return names
