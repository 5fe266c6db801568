"""Temporary limits and the activation check (SPEC R7, R8) live here."""
