"""The outside tools the HTTP section needs, installed at run time into bench/.cache (never committed).

wrk comes from Debian's packages (``apt-get install -y wrk``); WireMock and Prism from the npm registry
(``npm install --prefix bench/.cache/npm``). Each ``ensure_*`` returns the tool's path, or raises
:class:`Unavailable` saying why, so the row can say "not available" and the reason.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

__all__ = ["CACHE", "Unavailable", "ensure_npm_tool", "ensure_wrk"]

BENCH = Path(__file__).resolve().parent
CACHE = BENCH / ".cache"
NPM_PREFIX = CACHE / "npm"
NPM_PACKAGES = {"wiremock": "wiremock", "prism": "@stoplight/prism-cli"}


class Unavailable(Exception):
    """A tool could not be found or installed here; the message says why."""


def ensure_wrk() -> str:
    found = shutil.which("wrk")
    if found:
        return found
    if shutil.which("apt-get") is None:
        raise Unavailable("wrk is not installed and there is no apt-get to install it with")
    if os.geteuid() != 0:
        raise Unavailable("wrk is not installed; install it with `sudo apt-get install -y wrk`")
    print("  installing wrk (apt-get install -y wrk) ...", flush=True)
    install = _run(["apt-get", "install", "-y", "-q", "wrk"], timeout=300)
    if install.returncode != 0:  # the package lists may be missing or stale
        _run(["apt-get", "update", "-q"], timeout=300)
        install = _run(["apt-get", "install", "-y", "-q", "wrk"], timeout=300)
    found = shutil.which("wrk")
    if not found:
        raise Unavailable(f"apt-get install wrk failed: {_tail(install.stderr or install.stdout)}")
    return found


def ensure_npm_tool(name: str) -> str:
    """The executable of ``name`` ("wiremock" or "prism") under bench/.cache/npm, installing it if missing."""
    binary = NPM_PREFIX / "node_modules" / ".bin" / name
    if binary.exists():
        return str(binary)
    if shutil.which("npm") is None or shutil.which("node") is None:
        raise Unavailable("Node.js (node and npm) is not installed")
    if name == "wiremock" and shutil.which("java") is None:
        raise Unavailable("WireMock needs Java, and no java is installed")
    package = NPM_PACKAGES[name]
    print(f"  installing {package} (npm install --prefix {NPM_PREFIX.relative_to(BENCH.parent)}) ...", flush=True)
    NPM_PREFIX.mkdir(parents=True, exist_ok=True)
    install = _run(
        ["npm", "install", "--prefix", str(NPM_PREFIX), "--no-audit", "--no-fund", "--loglevel=error", package],
        timeout=600,
    )
    if install.returncode != 0 or not binary.exists():
        raise Unavailable(f"npm install {package} failed: {_tail(install.stderr or install.stdout)}")
    return str(binary)


def _run(command: list[str], timeout: float) -> subprocess.CompletedProcess[str]:
    try:
        return subprocess.run(command, capture_output=True, text=True, timeout=timeout, check=False)
    except subprocess.TimeoutExpired:
        return subprocess.CompletedProcess(command, 124, "", f"{command[0]} took longer than {timeout:.0f} s")


def _tail(text: str) -> str:
    lines = [line for line in text.strip().splitlines() if line.strip()]
    return lines[-1][:200] if lines else "no output"
