"""Online setting: simulator, CG-BP, WS-RR, PETALS online."""
