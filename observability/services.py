"""Writes to the grid registry."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from accounts.models import Organisation
from observability.geo import WGS84, to_wgs84
from observability.models import ConnectionPoint, SystemOperator


def system_operator_get_by_eic(*, eic_code: str) -> SystemOperator:
    try:
        return SystemOperator.objects.select_related("organisation").get(
            organisation__eic_code=eic_code
        )
    except SystemOperator.DoesNotExist as exc:
        raise ValidationError({"connecting_so": _("No system operator has the EIC code %(eic)s.")
                               % {"eic": eic_code}}) from exc


@transaction.atomic
def system_operator_create(
    *, name: str, eic_code: str, tier: str, upstream: SystemOperator | None = None,
    country: str = "SE", time_zone: str = "Europe/Stockholm",
) -> SystemOperator:
    organisation = Organisation(
        name=name, kind=Organisation.Kind.SYSTEM_OPERATOR, eic_code=eic_code, country=country
    )
    organisation.full_clean()
    organisation.save()
    so = SystemOperator(organisation=organisation, tier=tier, upstream=upstream, time_zone=time_zone)
    so.full_clean()
    so.save()
    return so


def connection_point_build(
    *, gsrn: str, connecting_so: SystemOperator, x: float, y: float, epsg: int = WGS84,
    voltage_level: str, bidding_zone: str,
) -> ConnectionPoint:
    """A validated, unsaved connection point; the location is converted to WGS84."""
    lon, lat = to_wgs84(x=x, y=y, epsg=epsg)
    point = ConnectionPoint(
        gsrn=gsrn, connecting_so=connecting_so, latitude=lat, longitude=lon,
        voltage_level=voltage_level, bidding_zone=bidding_zone,
    )
    point.full_clean()
    return point


def connection_point_get_or_create(
    *, gsrn: str, connecting_so: SystemOperator, x: float | None = None, y: float | None = None,
    epsg: int = WGS84, voltage_level: str | None = None, bidding_zone: str | None = None,
) -> ConnectionPoint:
    """The registered point with this GSRN, or a new one from the details given.

    A point already registered must match the connecting SO given: an FSP cannot move a
    metering point to another grid by registering a unit at it.
    """
    existing = ConnectionPoint.objects.select_related("connecting_so").filter(gsrn=gsrn).first()
    if existing is not None:
        if existing.connecting_so_id != connecting_so.pk:
            raise ValidationError({"connecting_so": _(
                "Connection point %(gsrn)s is registered with %(so)s, not %(given)s."
            ) % {"gsrn": gsrn, "so": existing.connecting_so, "given": connecting_so}})
        return existing
    missing = [
        name for name, value in
        (("x", x), ("y", y), ("voltage_level", voltage_level), ("bidding_zone", bidding_zone))
        if value in (None, "")
    ]
    if missing:
        raise ValidationError({
            name: _("Needed to register the new connection point %(gsrn)s.") % {"gsrn": gsrn}
            for name in missing
        })
    point = connection_point_build(
        gsrn=gsrn, connecting_so=connecting_so, x=x, y=y, epsg=epsg,
        voltage_level=voltage_level, bidding_zone=bidding_zone,
    )
    point.save()
    return point
