"""Benchmarks of crm-gdpr: speed and memory are measured here, never asserted in tests.

Run `python -m bench --help`; see `bench/README.md`.
"""
