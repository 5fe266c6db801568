"""REST API of the observability app."""
