"""Telling FSPs that a forecast turned likely or certain for one of their resources (R12, §5).

Kind `forecast_congestion` (NOTIFICATION_KIND): a publication's rows of likely or certain
congestion that are worse than what was seen just before it (the as-of rule of
forecasts.selectors: a repeat of yesterday's "likely" tells nothing new; a "certain" after a
"likely" does), in a zone containing the connection point of an FSP's active SPU at the time
of publication. Each (FSP, zone, market time unit, direction, level) is told once
(CongestionNotice, unique): a task run twice, or a later publication saying the same, sends
nothing more. Through notices.services.notify: in the app always, and by e-mail to each FSP
user who keeps that kind's e-mail on, in the user's language; it names the
zones, levels, periods (in the publishing operator's time zone) and the resources.

Run after commit by forecasts.tasks.forecast_congestion_notify_task (publication_create queues
it).
"""

from __future__ import annotations

import zoneinfo
from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime, timedelta

import shapely
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.translation import gettext as _

from accounts.models import Membership, User
from common import mail
from forecasts.models import (
    CongestionLevel,
    CongestionNotice,
    ForecastValue,
    GridZoneVersion,
    Publication,
)
from forecasts.selectors import forecast_values_as_of
from notices.models import Notification
from notices.services import notify
from prequal.models import Spu

NOTIFICATION_KIND = Notification.Kind.FORECAST_CONGESTION


@dataclass
class _Span:
    """Adjacent notices of one zone, direction and level, for the e-mail."""

    zone: GridZoneVersion
    direction: str
    level: int
    start: datetime
    end: datetime


def _worse_rows(publication: Publication) -> list[dict]:
    """The publication's likely/certain rows worse than what was seen just before it."""
    rows = list(
        ForecastValue.objects.filter(
            publication=publication,
            start__gte=publication.first_start,
            start__lt=publication.last_end,
            level__gte=CongestionLevel.LIKELY,
        ).values("zone_id", "start", "direction", "minutes", "level")
    )
    if not rows:
        return []
    before = forecast_values_as_of(
        zone_ids={row["zone_id"] for row in rows},
        start=publication.first_start,
        end=publication.last_end,
        as_of=publication.published_at - timedelta(microseconds=1),
    )
    seen = {(r["zone_id"], r["start"], r["direction"]): r["level"] for r in before}
    return [r for r in rows if r["level"] > seen.get((r["zone_id"], r["start"], r["direction"]), -1)]


def _resources_in(versions: list[GridZoneVersion]) -> dict[int, list[tuple[int, int, str]]]:
    """zone id → (FSP id, SPU id, SPU code) of the active SPUs whose point lies in the zone."""
    found: dict[int, list[tuple[int, int, str]]] = {}
    for version in versions:
        spus = list(
            Spu.objects.filter(
                is_active=True,
                connection_point__longitude__gte=version.min_lon,
                connection_point__longitude__lte=version.max_lon,
                connection_point__latitude__gte=version.min_lat,
                connection_point__latitude__lte=version.max_lat,
            ).values_list("fsp_id", "id", "code", "connection_point__longitude", "connection_point__latitude")
        )
        if spus:
            inside = shapely.intersects_xy(version.geometry, [s[3] for s in spus], [s[4] for s in spus])
            found[version.zone_id] = [s[:3] for s, ok in zip(spus, inside, strict=True) if ok]
    return found


def congestion_notices_record(*, publication_id: int) -> tuple[list[CongestionNotice], dict]:
    """The new notices of the publication (stored, each once), and zone id → (FSP, SPU id, code)."""
    publication = Publication.objects.get(pk=publication_id)
    rows = _worse_rows(publication)
    if not rows:
        return [], {}
    versions = list(
        GridZoneVersion.objects.current(at=publication.published_at)
        .filter(zone_id__in={row["zone_id"] for row in rows})
        .select_related("zone")
    )
    resources = _resources_in(versions)
    wanted = {
        (fsp_id, row["zone_id"], row["start"], row["direction"], row["level"])
        for row in rows
        for fsp_id, _spu, _code in resources.get(row["zone_id"], ())
    }
    if not wanted:
        return [], resources
    told = set(
        CongestionNotice.objects.filter(
            fsp_id__in={key[0] for key in wanted},
            zone_id__in={key[1] for key in wanted},
            start__gte=publication.first_start,
            start__lt=publication.last_end,
        ).values_list("fsp_id", "zone_id", "start", "direction", "level")
    )
    new = [
        CongestionNotice(
            fsp_id=fsp_id, zone_id=zone_id, start=start, direction=direction, level=level,
            publication=publication,
        )
        for fsp_id, zone_id, start, direction, level in sorted(wanted - told)
    ]
    CongestionNotice.objects.bulk_create(new, ignore_conflicts=True)  # a concurrent run: told once
    return new, resources


def _spans(notices: list[CongestionNotice], versions: dict, minutes: int) -> list[_Span]:
    spans: list[_Span] = []
    for n in sorted(notices, key=lambda n: (n.zone_id, n.direction, n.level, n.start)):
        last = spans[-1] if spans else None
        if last and (last.zone.zone_id, last.direction, last.level) == (n.zone_id, n.direction, n.level) \
                and last.end == n.start:
            last.end = n.start + timedelta(minutes=minutes)
        else:
            spans.append(_Span(versions[n.zone_id], n.direction, n.level, n.start,
                               n.start + timedelta(minutes=minutes)))
    return spans


def forecast_congestion_notify(*, publication_id: int) -> int:
    """Record the publication's new notices and e-mail each FSP's users; returns the number sent."""
    notices, resources = congestion_notices_record(publication_id=publication_id)
    if not notices:
        return 0
    publication = Publication.objects.select_related("system_operator__organisation").get(pk=publication_id)
    tz = zoneinfo.ZoneInfo(publication.system_operator.time_zone)
    versions = {
        v.zone_id: v
        for v in GridZoneVersion.objects.current(at=publication.published_at).filter(
            zone_id__in={n.zone_id for n in notices}
        ).select_related("zone")
    }
    by_fsp: dict[int, list[CongestionNotice]] = defaultdict(list)
    for notice in notices:
        by_fsp[notice.fsp_id].append(notice)
    so_name = publication.system_operator.name
    sent = 0
    for fsp_id, fsp_notices in sorted(by_fsp.items()):
        context = {
            "so": so_name,
            "spans": _span_rows(
                _spans(fsp_notices, versions, publication.mtu_minutes), resources, fsp_id, tz
            ),
        }
        sent += notify(
            users=User.objects.filter(
                is_active=True, memberships__role=Membership.Role.FSP_USER,
                memberships__organisation__fsp=fsp_id,
            ).distinct(),
            kind=NOTIFICATION_KIND, path=reverse("forecasts:resources"),
            subject_for=lambda: _("Congestion forecast from %(so)s for your resources") % {"so": so_name},
            body_for=lambda context=context: render_to_string("forecasts/email/congestion.txt", context),
        )
    return sent


def _span_rows(spans: list[_Span], resources: dict, fsp_id: int, tz: zoneinfo.ZoneInfo) -> list[dict]:
    """The e-mail's rows: each span in the operator's time zone with the FSP's resources in it."""
    return [
        {
            "zone": span.zone, "direction": span.direction,
            "level": CongestionLevel(span.level).label,
            "start": span.start.astimezone(tz).strftime("%Y-%m-%d %H:%M %Z"),
            "end": span.end.astimezone(tz).strftime("%Y-%m-%d %H:%M %Z"),
            "resources": [
                (code, mail.site_url(reverse("forecasts:spu-forecast", kwargs={"pk": spu})))
                for f, spu, code in sorted(resources[span.zone.zone_id], key=lambda r: r[2])
                if f == fsp_id
            ],
        }
        for span in spans
    ]
