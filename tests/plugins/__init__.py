"""Tests of the built-in plugins, one package per plugin."""
