"""Pagination for HTML lists (the API paginates through common.api.Pagination)."""

from __future__ import annotations

from django.core.paginator import Page, Paginator
from django.http import HttpRequest

PAGE_SIZE = 50


def paginate(request: HttpRequest, items, *, per_page: int = PAGE_SIZE) -> Page:
    """The page named by `?page=`; out-of-range or malformed numbers give the nearest page."""
    return Paginator(items, per_page).get_page(request.GET.get("page"))
