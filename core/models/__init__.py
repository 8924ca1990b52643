"""The core's tables. Plugin tables live in their plugin's own `models.py`."""

from core.db import db
from core.models.attachment import Attachment
from core.models.crm import Activity, Company, Contact, Tag, activity_participant, contact_tag
from core.models.plugin_state import TenantPlugin, TenantSetting
from core.models.security import LoginThrottle
from core.models.tenant import Tenant
from core.models.user import Role, User

# Plugins' models are always imported after these (every plugin imports `core` first), so this
# is exactly the core's own tables; anything else in the metadata belongs to a plugin.
CORE_TABLES = frozenset(db.metadata.tables)

__all__ = [
    "CORE_TABLES",
    "Activity",
    "Attachment",
    "Company",
    "Contact",
    "LoginThrottle",
    "Role",
    "Tag",
    "Tenant",
    "TenantPlugin",
    "TenantSetting",
    "User",
    "activity_participant",
    "contact_tag",
]
