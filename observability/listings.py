"""The columns of observability's lists (connection points, observability areas), declared once
for the page's headers, its sort keys and its CSV/XLSX export (common.listing)."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from common.listing import Column, ListSpec

CONNECTION_POINT_LIST = ListSpec(
    name="connection-points",
    columns=(
        Column("gsrn", _("GSRN"), ("gsrn",), lambda cp: cp.gsrn),
        Column("connecting_so", _("Connecting SO"), ("connecting_so__organisation__name",),
               lambda cp: str(cp.connecting_so)),
        Column("zone", _("Bidding zone"), ("bidding_zone",), lambda cp: cp.bidding_zone),
        Column("voltage", _("Voltage level"), ("voltage_level",), lambda cp: cp.get_voltage_level_display()),
        Column("location", _("Location (WGS84)")),
        Column("latitude", _("Latitude (WGS84)"), (), lambda cp: cp.latitude, page=False),
        Column("longitude", _("Longitude (WGS84)"), (), lambda cp: cp.longitude, page=False),
    ),
    search=("gsrn__contains", "connecting_so__organisation__name__icontains"),
)

AREA_LIST = ListSpec(
    name="observability-areas",
    columns=(
        Column("operator", _("Operator"), ("system_operator__organisation__name",),
               lambda a: str(a.system_operator)),
        Column("tier", _("Tier"), ("system_operator__tier",), lambda a: a.system_operator.get_tier_display()),
        Column("valid_from", _("Valid from"), ("valid_from",), lambda a: a.valid_from),
        Column("area", _("Area (km²)"), ("area_km2",), lambda a: a.area_km2, css="num"),
        Column("source", _("Source"), ("source_filename",), lambda a: a.source_filename),
        Column("epsg", _("Source EPSG code"), (), lambda a: a.source_epsg, page=False),
        Column("uploaded_by", _("Uploaded by"), ("uploaded_by__username",),
               lambda a: str(a.uploaded_by) if a.uploaded_by_id else ""),
    ),
    search=(
        "system_operator__organisation__name__icontains", "system_operator__organisation__eic_code__iexact",
        "source_filename__icontains",
    ),
    search_help=_("Operator, EIC or file name"),
)
