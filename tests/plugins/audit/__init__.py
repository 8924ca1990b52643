"""Tests of the audit plugin."""
