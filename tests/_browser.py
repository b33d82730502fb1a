"""Chromium through Playwright for the browser tests (marked ``browser``): the system's browser, never a download.
Without Chromium or Playwright the tests skip, saying how to install them — unless ``LENDSIM_REQUIRE_BROWSER`` is set
(scripts/test sets it where it can install Chromium, as on CI): there a missing browser fails them, so a green run
means they ran."""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any, NoReturn

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
    """A headless Chromium, or a skip saying how to get one (a failure where the browser is required)."""
    required = bool(os.environ.get("LENDSIM_REQUIRE_BROWSER"))
    try:
        from playwright import sync_api
    except ImportError:
        _missing("Playwright is a dev dependency: pip install .[dev]", required)
    executable = chromium_path()
    if executable is None:
        _missing(INSTALL, required)
    with sync_api.sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=executable, args=["--no-sandbox"])
        try:
            yield launched
        finally:
            launched.close()


def _missing(what: str, required: bool) -> NoReturn:
    if required:
        pytest.fail(f"{what} (LENDSIM_REQUIRE_BROWSER is set: the browser tests must run here)", pytrace=False)
    pytest.skip(what)
