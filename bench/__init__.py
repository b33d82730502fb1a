"""lendsim's benchmarks, outside the test suite: ``bench/run`` (see ``python -m bench --help``)."""
