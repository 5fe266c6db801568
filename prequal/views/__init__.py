"""HTML views of the prequal app, one module per area."""
