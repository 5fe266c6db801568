"""Helpers of the registry tests (SPUs, SPGs, connection points over the API and the pages).

The resources themselves come from the `registry` fixture (tests/personas.py make_registry).
"""

from __future__ import annotations

from django.urls import reverse

from prequal.models import Spu
from tests.factories import make_gsrn

# Stockholm city centre in SWEREF99 TM (EPSG:3006) and in WGS84.
STOCKHOLM_3006 = (674572.0, 6580743.0)
STOCKHOLM_WGS84 = (59.3293, 18.0686)  # latitude, longitude


def spu_payload(cast, **overrides) -> dict:
    """An API body for a new SPU of FSP A at a new point on the local DSO's grid."""
    payload = {
        "code": "BAT-1",
        "name": "Battery at the depot",
        "technology": "battery",
        "max_up_kw": "250.5",
        "max_down_kw": 100,
        "connection_point_gsrn": make_gsrn(),
        "connecting_so_eic": cast.local.eic_code,
        "crs": "3006",
        "x": STOCKHOLM_3006[0],
        "y": STOCKHOLM_3006[1],
        "voltage_level": "lv",
        "bidding_zone": "SE3",
    }
    payload.update(overrides)
    return payload


def post_spu(client, payload):
    return client.post(reverse("api:spu-list"), payload, format="json")


def spu_form_data(**overrides) -> dict:
    """The SPU form's fields for a new SPU (an empty point: fill in gsrn or the point's details)."""
    data = {
        "code": "BAT-1", "name": "Battery one", "technology": Spu.Technology.BATTERY,
        "max_up_kw": "250.5", "max_down_kw": "100", "gsrn": make_gsrn(),
        "connecting_so": "", "crs": "4326", "x": "", "y": "", "voltage_level": "", "bidding_zone": "",
    }
    data.update(overrides)
    return data
