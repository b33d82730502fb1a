"""lendsim."""
