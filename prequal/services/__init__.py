"""Writes and state changes of the prequal app, one module per area."""
