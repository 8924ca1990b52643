"""The core's tables. Plugin tables live in their plugin's own `models.py`."""

from core.models.attachment import Attachment
from core.models.crm import Activity, Company, Contact, Tag, activity_participant, contact_tag
from core.models.plugin_state import TenantPlugin, TenantSetting
from core.models.tenant import Tenant
from core.models.user import Role, User

__all__ = [
    "Activity",
    "Attachment",
    "Company",
    "Contact",
    "Role",
    "Tag",
    "Tenant",
    "TenantPlugin",
    "TenantSetting",
    "User",
    "activity_participant",
    "contact_tag",
]
