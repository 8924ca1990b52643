"""Reading what plugins contribute through the plugin's list hooks (sources, fields,
mailing systems): every item carries a code that must be well-formed and unique."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

from core.events import EventContext, emit


def contributed(ctx: EventContext, hook_name: str, key: str, pattern: re.Pattern[str],
                what: str) -> Iterator[tuple[str, dict[str, Any]]]:
    """Yield (code, item) for each dict the plugins enabled for `ctx.tenant` return from
    `hook_name`, where code is the item's `key`. A code that does not match `pattern`, or
    one given twice, is a programming error of a plugin: ValueError naming `what`."""
    seen: set[str] = set()
    for items in emit(hook_name, ctx):
        for item in items or []:
            code = str(item.get(key, ""))
            if not pattern.match(code):
                raise ValueError(f"{what} '{code}' is not valid")
            if code in seen:
                raise ValueError(f"{what} '{code}' is declared twice")
            seen.add(code)
            yield code, item
