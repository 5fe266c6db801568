"""REST API of the prequal app, one module per area."""
