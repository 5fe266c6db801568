"""{% base_map_config %}: the base layer's settings as a json_script element (no inline script)."""

from __future__ import annotations

from django import template
from django.utils.html import json_script

from common.maps import base_map_settings

register = template.Library()


@register.simple_tag
def base_map_config():
    return json_script(base_map_settings(), "base-map-config")
