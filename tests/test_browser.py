"""A real browser (Debian's chromium, driven by Playwright) uses the demo page."""

from __future__ import annotations

import shutil
import warnings

import pytest
from serving import serving

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]

if CHROMIUM is None:  # `make test` installs it; only a machine without root lacks it
    warnings.warn(
        "CHROMIUM NOT FOUND: the browser test is SKIPPED. Install Debian's `chromium` "
        "(make test does so when run as root).",
        stacklevel=1,
    )


@pytest.mark.skipif(CHROMIUM is None, reason="chromium is not installed and could not be")
def test_index_page_greets_in_german():
    from playwright.sync_api import sync_playwright

    with serving() as base, sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=FLAGS)  # a fresh profile
        try:
            page = browser.new_page()
            page.goto(base + "/")
            page.wait_for_function("document.getElementById('hello').textContent === 'Hello Rest'")
            page.fill("#name", "tom")
            page.select_option("#lang", "de")
            page.click("button[type=submit]")
            page.wait_for_function(
                "document.getElementById('greeting').textContent === 'Hallo tom'"
            )
            page.select_option("#lang", "fr")
            page.click("button[type=submit]")
            page.wait_for_function(
                "document.getElementById('greeting').textContent === 'invalid language: fr'"
            )
            assert page.get_attribute("#greeting", "class") == "error"
        finally:
            browser.close()
