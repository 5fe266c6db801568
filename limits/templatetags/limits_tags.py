"""Show instants in an operator's local time (SPEC R10)."""

from __future__ import annotations

from django import template
from django.utils import timezone

from limits.selectors import limit_list_on_resource_for_user
from limits.services import local_time_label

register = template.Library()


@register.filter
def in_zone(value, time_zone: str) -> str:
    """`{{ limit.start|in_zone:limit.system_operator.time_zone }}` → "2026-03-29 08:00 CEST"."""
    if not value:
        return ""
    return local_time_label(value, time_zone=time_zone or "UTC")


@register.filter
def limit_status_badge(status: str) -> str:
    return {"active": "err", "upcoming": "warn", "lifted": "", "ended": ""}.get(status, "")


@register.filter
def color_badge(color: str) -> str:
    return {"green": "ok", "yellow": "warn", "red": "err"}.get(color, "")


@register.inclusion_tag("limits/_resource_limits.html", takes_context=True)
def resource_limits(context, resource, kind: str):
    """`{% resource_limits spu "spu" %}`: the active and upcoming limits that bind it (its page)."""
    now = timezone.now()
    limits = list(limit_list_on_resource_for_user(user=context["request"].user, **{kind: resource}, at=now))
    return {"resource_limits": limits, "now": now, "kind": kind}
