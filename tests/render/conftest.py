"""Fixtures of the render tests: a real headless chromium (see ``browser.py``)."""

from __future__ import annotations

import pytest

from .browser import FLAGS, chromium_path, missing_browser


@pytest.fixture(scope="session")
def chromium():
    """A running headless chromium (Playwright ``Browser``); the test skips, saying why, when none is installed."""
    reason = missing_browser()
    if reason:
        pytest.skip(reason)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=chromium_path(), args=FLAGS, headless=True)
        yield browser
        browser.close()
