"""The built-in GDPR plugins; each is found through the `crm.plugins` entry point."""
