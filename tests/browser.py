"""Headless Chromium for the report tests: the Debian `chromium` driven by Playwright (never downloads a browser).

Skips with the reason when Playwright or /usr/bin/chromium is missing (`.ci/run` installs both).
"""

from __future__ import annotations

import base64
import os
import shutil
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, List

import pytest

CHROMIUM = os.environ.get("BANKCONNECT_TEST_CHROMIUM", "/usr/bin/chromium")
FLAGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
         "--disable-component-update", "--disable-sync"]


@dataclass
class Visit:
    """A page as Chromium left it: the live page, console errors, uncaught errors and every request made."""

    page: Any
    console_errors: List[str] = field(default_factory=list)
    requests: List[str] = field(default_factory=list)


@pytest.fixture(scope="module")
def browser():
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        pytest.skip("playwright is not installed (pip install -e '.[test]')")
    if not (Path(CHROMIUM).exists() or shutil.which(CHROMIUM)):
        pytest.skip(f"no Chromium at {CHROMIUM} (apt-get install chromium; .ci/run does)")
    with sync_playwright() as playwright:
        instance = playwright.chromium.launch(executable_path=CHROMIUM, args=FLAGS)
        yield instance
        instance.close()


def visit(browser: Any, path: Path, wait_for: str = "body") -> Visit:
    """Open a file:// page, record console errors and requests, wait until `wait_for` is present."""
    page = browser.new_page(viewport={"width": 1300, "height": 900})
    seen = Visit(page)
    page.on("console", lambda m: seen.console_errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: seen.console_errors.append(str(e)))
    page.on("request", lambda r: seen.requests.append(r.url))
    page.goto(path.resolve().as_uri())
    page.wait_for_selector(wait_for, state="attached", timeout=15000)
    return seen


def distinct_colours(browser: Any, png: bytes) -> int:
    """How many different colours a PNG has (sampled on a grid), counted by Chromium's own canvas."""
    page = browser.new_page()
    try:
        url = "data:image/png;base64," + base64.b64encode(png).decode()
        return page.evaluate("""async (url) => {
            const img = new Image(); img.src = url; await img.decode();
            const canvas = document.createElement('canvas'); canvas.width = img.width; canvas.height = img.height;
            const ctx = canvas.getContext('2d'); ctx.drawImage(img, 0, 0);
            const data = ctx.getImageData(0, 0, img.width, img.height).data, seen = new Set();
            for (let y = 0; y < img.height; y += 3) for (let x = 0; x < img.width; x += 3) {
                const i = (y * img.width + x) * 4; seen.add(data[i] + ',' + data[i + 1] + ',' + data[i + 2]); }
            return seen.size; }""", url)
    finally:
        page.close()
