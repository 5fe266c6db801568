"""A dashboard figure: a count and the list that shows exactly those rows."""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urlencode

from django.urls import reverse


@dataclass(frozen=True)
class Figure:
    key: str
    label: str
    count: int
    url: str
    # Change from the year before (the NRA's year at a glance); None elsewhere.
    change: int | None = None


def list_url(name: str, **params) -> str:
    """`name`'s URL with the filter's query parameters (None left out)."""
    query = urlencode({k: v for k, v in params.items() if v is not None})
    return reverse(name) + (f"?{query}" if query else "")
