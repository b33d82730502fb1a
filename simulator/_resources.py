"""Where the files that ship with lendsim live, in a checkout and in an installed wheel."""

from __future__ import annotations

from pathlib import Path

__all__ = ["bundled_contracts_dir"]

_PACKAGE = Path(__file__).resolve().parent


def bundled_contracts_dir() -> Path:
    """The folder of the built-in contracts: ``simulator/_contracts`` in a wheel, ``contracts/`` in a checkout."""
    installed = _PACKAGE / "_contracts"
    return installed if installed.is_dir() else _PACKAGE.parent / "contracts"
