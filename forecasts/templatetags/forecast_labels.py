"""Labels of forecast values read as raw SQL rows (the stored value would show untranslated)."""

from __future__ import annotations

from django import template

from forecasts.models import Horizon

register = template.Library()


@register.filter
def horizon_label(value: str) -> str:
    """The reader's-language label of a publication's horizon ("day_ahead" → "Day-ahead")."""
    try:
        return str(Horizon(value).label)
    except ValueError:
        return value
