"""Chromium through Playwright for the browser tests (marked ``browser``): the system's browser, never a download.
Without Chromium or Playwright the tests skip, saying how to install them."""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest

INSTALL = (
    "no Chromium for the browser tests: install it (Debian/Ubuntu: apt-get install -y chromium; scripts/test does "
    "when run as root) or point LENDSIM_CHROMIUM at a Chromium or Chrome executable"
)


def chromium_path() -> str | None:
    named = os.environ.get("LENDSIM_CHROMIUM")
    if named:
        return named
    return next((path for name in ("chromium", "chromium-browser") if (path := shutil.which(name))), None)


@contextmanager
def chromium() -> Iterator[Any]:
    """A headless Chromium, or a skip saying how to get one."""
    sync_api = pytest.importorskip("playwright.sync_api", reason="Playwright is a dev dependency: pip install .[dev]")
    executable = chromium_path()
    if executable is None:
        pytest.skip(INSTALL)
    with sync_api.sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=executable, args=["--no-sandbox"])
        try:
            yield launched
        finally:
            launched.close()
