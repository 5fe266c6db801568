"""HTML views of the observability app."""
