"""Exact methods (MILP formulations, RR-ILP)."""
