"""The pytest plugin now lives in the top-level module ``lendsim_pytest`` (so that loading it imports nothing of
lendsim); this name stays importable for ``-p simulator.testing.plugin`` and older installs' entry points."""

from lendsim_pytest import lendsim, pytest_configure

__all__ = ["lendsim", "pytest_configure"]
