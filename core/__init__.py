"""crm-gdpr core: the CRM host that plugins extend through pluggy hooks."""

from core.app import create_app

__all__ = ["create_app"]
