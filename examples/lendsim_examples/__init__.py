"""Reference platforms shipped with lendsim: a naive and a resilient integration (the harness 's proof of power)."""
