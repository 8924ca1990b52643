"""Tests of the web pages: login, sessions, CSRF, roles, the admin and attachments."""
