"""The activation register's section on an SPU's or SPG's page (prequal's templates include it,
as they include limits' shortcuts)."""

from __future__ import annotations

from django import template
from django.utils import timezone

from register.selectors import resource_register_for_user

register = template.Library()


@register.inclusion_tag("register/_resource_register.html", takes_context=True)
def resource_register(context, resource):
    """`{% resource_register spu %}`: its awards, activations and conflicts, as the user may read them."""
    found = resource_register_for_user(user=context["request"].user, resource=resource, now=timezone.now())
    return {"register_records": found["records"], "register_conflicts": found["conflicts"],
            "register_limit": found["limit"]}
