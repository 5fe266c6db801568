"""Scoped reads of the prequal app, one module per area."""
