"""Proven lower bounds on the optimal average per-token time."""
