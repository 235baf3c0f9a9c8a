"""Heuristic methods (CG-BPRR, PETALS, local search)."""
