"""The admin UI (Flask-Admin, Bootstrap 4): CRM pages, users, plugins, tenants.

Plugins write their admin views on `CrmModelView` (model pages) or `CrmViewMixin` +
`flask_admin.BaseView` (other pages) and return new objects from
`crm_register_admin_views`; endpoints start with `<plugin>_`.
"""

from core.admin.access import PLATFORM_ADMINS, TENANT_ADMINS, TENANT_ROLES, CrmViewMixin
from core.admin.base import CrmModelView
from core.admin.setup import init_admin

__all__ = [
    "PLATFORM_ADMINS",
    "TENANT_ADMINS",
    "TENANT_ROLES",
    "CrmModelView",
    "CrmViewMixin",
    "init_admin",
]
