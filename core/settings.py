"""Per-tenant settings: declared with a type and a default, read through one accessor.

The core and each plugin declare their settings (`crm_settings` hook for plugins); values a
tenant admin changed are kept in `tenant_setting`; everything else reads the default.

A `str` setting may name a `kind` (`url`, `email`, `regex`, `origins`, or one a plugin adds
with `crm_setting_kinds`, see `core.setting_kinds`): a value that is not of that kind is
refused with a message naming the setting, and nothing is saved.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from flask import current_app
from sqlalchemy import select

from core.db import db
from core.models import TenantSetting
from core.scoping import tenant_scope
from core.setting_kinds import Check, core_kinds

TYPES = {"int": int, "str": str, "bool": bool}


class SettingError(ValueError):
    """A setting value that cannot be accepted (message names the setting)."""


@dataclass(frozen=True)
class Setting:
    """A per-tenant setting: key, type (`int`, `str`, `bool`), default, label for the admin
    page, optional bounds for numbers, a help text and, for text, the `kind` of value it
    takes (checked when saved) and its longest length. An empty text is "not set": saving
    it removes the tenant's value, and the default applies again."""

    key: str
    type: str
    default: Any
    label: str
    help: str = ""
    minimum: int | None = None
    maximum: int | None = None
    kind: str = ""
    max_length: int = 2000

    def parse(self, raw: Any) -> Any:
        """Return `raw` converted to the setting's type, or raise SettingError."""
        if self.type == "bool":
            if isinstance(raw, bool):
                return raw
            text = str(raw).strip().lower()
            if text in {"1", "true", "yes", "on", "da"}:
                return True
            if text in {"0", "false", "no", "off", "ne", ""}:
                return False
            raise SettingError(f"{self.label}: '{raw}' is not yes or no")
        if self.type == "int":
            try:
                value = int(str(raw).strip())
            except ValueError as exc:
                raise SettingError(f"{self.label}: '{raw}' is not a whole number") from exc
            if self.minimum is not None and value < self.minimum:
                raise SettingError(f"{self.label}: must be at least {self.minimum}")
            if self.maximum is not None and value > self.maximum:
                raise SettingError(f"{self.label}: must be at most {self.maximum}")
            return value
        text = str(raw).strip()
        if len(text) > self.max_length:
            raise SettingError(f"{self.label}: at most {self.max_length} characters "
                               f"(this value has {len(text)})")
        return text


class SettingsRegistry:
    """The declared settings of one app, by namespace (`core` or a plugin name)."""

    def __init__(self) -> None:
        self.declared: dict[str, dict[str, Setting]] = {}
        self.kinds: dict[str, Check] = core_kinds()

    def add_kinds(self, namespace: str, kinds: dict[str, Check]) -> None:
        """Add the value kinds a plugin offers; a kind named twice is an error."""
        for name, check in kinds.items():
            if name in self.kinds:
                raise ValueError(f"setting kind {name} of {namespace} is already defined")
            self.kinds[name] = check

    def declare(self, namespace: str, settings: list[Setting]) -> None:
        """Add `settings` under `namespace`; a key declared twice is an error."""
        bucket = self.declared.setdefault(namespace, {})
        for setting in settings:
            if setting.type not in TYPES:
                raise ValueError(f"setting {namespace}.{setting.key}: unknown type {setting.type}")
            if setting.kind and (setting.type != "str" or setting.kind not in self.kinds):
                raise ValueError(f"setting {namespace}.{setting.key}: unknown kind "
                                 f"{setting.kind} (for str settings: {sorted(self.kinds)})")
            if setting.key in bucket:
                raise ValueError(f"setting {namespace}.{setting.key} declared twice")
            problem = _default_problem(setting)
            if problem:
                raise ValueError(f"setting {namespace}.{setting.key}: {problem}")
            bucket[setting.key] = setting

    def spec(self, namespace: str, key: str) -> Setting:
        """Return the declaration of `namespace.key` or raise KeyError."""
        return self.declared[namespace][key]


KEY = re.compile(r"[a-z][a-z0-9_]{0,63}")


def _default_problem(setting: Setting) -> str | None:
    """What is wrong with a declaration's key or default (a default the Plugins page would
    refuse to save), else None. A plugin's own kinds are checked when a value is saved."""
    if not KEY.fullmatch(setting.key):
        return "a key is lower-case letters, digits and '_', starting with a letter"
    if setting.default is None or setting.default == "":
        return None
    try:
        value = setting.parse(setting.default)
    except SettingError as exc:
        return f"the default does not fit ({exc})"
    check = core_kinds().get(setting.kind)
    problem = check(value) if check else None
    return f"the default does not fit ({problem})" if problem else None


def _registry() -> SettingsRegistry:
    return current_app.extensions["crm"]["settings"]


def get_setting(tenant_id: int, namespace: str, key: str) -> Any:
    """Return the tenant's value of `namespace.key`, or its declared default."""
    spec = _registry().spec(namespace, key)
    with tenant_scope(tenant_id):
        stored = db.session.scalar(
            select(TenantSetting.value).where(
                TenantSetting.namespace == namespace, TenantSetting.key == key
            )
        )
    return spec.default if stored is None else stored


def all_settings(tenant_id: int, namespace: str) -> dict[str, Any]:
    """Return {key: value} of every declared setting of `namespace` for the tenant."""
    declared = _registry().declared.get(namespace, {})
    with tenant_scope(tenant_id):
        stored = dict(
            db.session.execute(
                select(TenantSetting.key, TenantSetting.value).where(
                    TenantSetting.namespace == namespace
                )
            ).all()
        )
    return {key: stored.get(key, spec.default) for key, spec in declared.items()}


def set_setting(tenant_id: int, namespace: str, key: str, raw: Any) -> Any:
    """Validate and store a tenant's value (not committed); return the parsed value."""
    try:
        spec = _registry().spec(namespace, key)
    except KeyError as exc:
        raise SettingError(f"there is no setting '{key}' for {namespace}") from exc
    value = spec.parse(raw)
    with tenant_scope(tenant_id):
        problem = _registry().kinds[spec.kind](value) if spec.kind and value else None
        if problem:
            raise SettingError(f"{spec.label}: {problem}")
        row = db.session.scalar(
            select(TenantSetting).where(
                TenantSetting.namespace == namespace, TenantSetting.key == key
            )
        )
        if value == "" and spec.type == "str":
            if row is not None:
                db.session.delete(row)
            return spec.default
        if row is None:
            db.session.add(
                TenantSetting(namespace=namespace, key=key, value=value, tenant_id=tenant_id)
            )
        else:
            row.value = value
    return value
