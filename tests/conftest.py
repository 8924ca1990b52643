"""The project's own test settings. The fixtures (databases on SQLite and PostgreSQL, `app`,
`client`, `cli`, `tenant_a`, `tenant_b`, `crm_plugins`) come from the core's pytest plugin
`core.testing`, which plugin authors use the same way; `build_app` and `fresh_app` are
re-exported here for the tests that build apps of their own.
"""

from __future__ import annotations

import os

import pytest

from core.testing import build_app, fresh_app

__all__ = ["build_app", "fresh_app"]


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo):
    """With CRM_FAIL_ON_SKIP=1 (CI) a skipped test is a failed test."""
    outcome = yield
    report = outcome.get_result()
    strict = os.environ.get("CRM_FAIL_ON_SKIP") == "1"
    if strict and report.skipped and not hasattr(report, "wasxfail"):
        reason = report.longrepr[2] if isinstance(report.longrepr, tuple) else report.longrepr
        report.outcome = "failed"
        report.longrepr = f"skipped, but CI requires every test to run: {reason}"
