"""A temporary limit citing the congestion forecast that motivated it (R7, R12).

The engineer names a publication (its id) and, optionally, a grid zone in it (its code). The
publication must be one of the issuing operator's; the zone must have rows in it. Set when the
limit is published; kept in the limit's audit trail (limits.services.trail.limit_snapshot).
"""

from __future__ import annotations

from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from forecasts.models import ForecastValue, GridZone, Publication
from observability.models import SystemOperator


@dataclass(frozen=True)
class ForecastCitation:
    publication: Publication | None = None
    zone: GridZone | None = None


NO_CITATION = ForecastCitation()


def limit_forecast_citation(
    *, system_operator: SystemOperator, publication_id: int | None, zone_code: str = ""
) -> ForecastCitation:
    """The cited publication and zone, or ValidationError with a message per field."""
    zone_code = (zone_code or "").strip()
    if publication_id is None:
        if zone_code:
            raise ValidationError(
                {"forecast_publication": _("Name the forecast publication the grid zone is cited from.")}
            )
        return NO_CITATION
    publication = Publication.objects.filter(pk=publication_id, system_operator=system_operator).first()
    if publication is None:
        raise ValidationError(
            {
                "forecast_publication": _(
                    "%(so)s has no forecast publication #%(id)s: cite one of its own publications."
                )
                % {"so": system_operator, "id": publication_id}
            }
        )
    if not zone_code:
        return ForecastCitation(publication=publication)
    zone = GridZone.objects.filter(system_operator=system_operator, code=zone_code).first()
    if zone is None or not ForecastValue.objects.filter(publication=publication, zone=zone).exists():
        raise ValidationError(
            {
                "forecast_zone": _("Publication #%(id)s has no forecast for grid zone %(code)s.")
                % {"id": publication_id, "code": zone_code}
            }
        )
    return ForecastCitation(publication=publication, zone=zone)
