"""Grid zones and congestion forecasts (SPEC §2, R12).

A grid zone is a named part of an operator's observability area (or the whole of it); its
geometry is versioned like the area. A publication is one upload of forecast rows by one
engineer: kept as published, never edited; a correction is a new publication. The rows live in
ForecastValue, partitioned by delivery month on PostgreSQL (forecasts/partitions.py).
"""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

from observability.models import GeometryVersion, SystemOperator
from prequal.models import Direction


class ImmutableRecord(ValueError):
    """Raised on an attempt to edit or delete a kept version or publication."""


class GridZone(models.Model):
    """A zone's identity: its operator and code. Its geometry is in its versions."""

    system_operator = models.ForeignKey(
        SystemOperator, models.PROTECT, related_name="grid_zones", verbose_name=_("system operator")
    )
    code = models.CharField(_("code"), max_length=64)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        ordering = ["system_operator", "code"]
        constraints = [
            models.UniqueConstraint(
                fields=["system_operator", "code"], name="grid_zone_code_per_so"
            )
        ]

    def __str__(self) -> str:
        return f"{self.system_operator} / {self.code}"


class GridZoneVersionQuerySet(models.QuerySet):
    def current(self, *, at) -> GridZoneVersionQuerySet:
        """Each zone's version valid at `at`: the latest valid_from <= at."""
        latest = (
            GridZoneVersion.objects.filter(zone=models.OuterRef("zone"), valid_from__lte=at)
            .order_by("-valid_from", "-id")
            .values("id")[:1]
        )
        return self.filter(valid_from__lte=at, id=models.Subquery(latest))


class GridZoneVersion(GeometryVersion):
    """One version of a zone's geometry (observability.models.GeometryVersion: WGS84 WKB with its
    bounding box, read by the point lookup) and its name. Never edited."""

    zone = models.ForeignKey(
        GridZone, models.PROTECT, related_name="versions", verbose_name=_("grid zone")
    )
    name = models.CharField(_("name"), max_length=200)

    objects = GridZoneVersionQuerySet.as_manager()

    class Meta:
        ordering = ["zone", "-valid_from"]
        constraints = [
            models.UniqueConstraint(
                fields=["zone", "valid_from"], name="grid_zone_one_version_per_instant"
            )
        ]

    def __str__(self) -> str:
        return f"{self.zone} @ {self.valid_from:%Y-%m-%d %H:%M}"


class Horizon(models.TextChoices):
    DAY_AHEAD = "day_ahead", _("Day-ahead")
    INTRADAY = "intraday", _("Intraday")
    NEAR_REAL_TIME = "near_real_time", _("Near real time")


class CongestionLevel(models.IntegerChoices):
    # Ordered: a larger number is worse (read by lists that show the worst level of a period).
    NONE = 0, _("none")
    POSSIBLE = 1, _("possible")
    LIKELY = 2, _("likely")
    CERTAIN = 3, _("certain")


LEVEL_CODES = {0: "none", 1: "possible", 2: "likely", 3: "certain"}
LEVEL_BY_CODE = {code: value for value, code in LEVEL_CODES.items()}
MTU_CHOICES = ((15, _("15 minutes")), (60, _("60 minutes")))


class Publication(models.Model):
    """One publication of a forecast: who published it, when, for which horizon. Its audit entry
    too (SPEC §4: every upload is attributed and kept): never edited or deleted."""

    system_operator = models.ForeignKey(
        SystemOperator,
        models.PROTECT,
        related_name="forecast_publications",
        verbose_name=_("system operator"),
    )
    horizon = models.CharField(_("horizon"), max_length=16, choices=Horizon.choices)
    mtu_minutes = models.PositiveSmallIntegerField(
        _("market time unit (minutes)"), choices=MTU_CHOICES
    )
    published_at = models.DateTimeField(_("published at"))
    published_by = models.ForeignKey(
        "accounts.User", models.PROTECT, related_name="+", verbose_name=_("published by")
    )
    source = models.CharField(_("source"), max_length=255, blank=True)
    row_count = models.PositiveIntegerField(_("rows"))
    first_start = models.DateTimeField(_("first period"))
    last_end = models.DateTimeField(_("last period ends"))

    class Meta:
        ordering = ["-published_at", "-id"]
        indexes = [
            models.Index(
                fields=["system_operator", "-published_at"], name="forecast_pub_so_published"
            )
        ]

    def __str__(self) -> str:
        return f"{self.system_operator} {self.horizon} @ {self.published_at:%Y-%m-%d %H:%M}"

    def save(self, *args, **kwargs) -> None:
        if not self._state.adding:
            raise ImmutableRecord("Publications are never edited; publish a correction.")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise ImmutableRecord("Publications are never deleted.")


class ForecastValue(models.Model):
    """One row of a publication: a zone, a market time unit, a direction.

    `published_at` repeats the publication's so that the "as of" read needs this table alone;
    the index (zone, start, direction, published_at) serves one zone over 48 hours. On
    PostgreSQL the table is partitioned by `start` (delivery month), so the primary key holds it.
    Written only by COPY/INSERT (forecasts.services), never through the ORM's save.
    """

    pk = models.CompositePrimaryKey("publication_id", "zone_id", "start", "direction")
    publication = models.ForeignKey(
        Publication,
        models.DO_NOTHING,
        related_name="values",
        db_constraint=False,
        db_index=False,
    )
    zone = models.ForeignKey(
        GridZone, models.DO_NOTHING, related_name="+", db_constraint=False, db_index=False
    )
    start = models.DateTimeField(_("start"))
    direction = models.CharField(_("direction"), max_length=4, choices=Direction.choices)
    minutes = models.PositiveSmallIntegerField(_("market time unit (minutes)"), choices=MTU_CHOICES)
    published_at = models.DateTimeField(_("published at"))
    headroom_mw = models.DecimalField(_("headroom (MW)"), max_digits=10, decimal_places=3)
    level = models.PositiveSmallIntegerField(_("congestion level"), choices=CongestionLevel.choices)

    class Meta:
        indexes = [
            models.Index(
                fields=["zone", "start", "direction", "published_at"], name="forecast_value_as_of"
            )
        ]

    def __str__(self) -> str:
        return f"{self.zone_id} {self.start:%Y-%m-%d %H:%M} {self.direction}"


class CongestionNotice(models.Model):
    """An FSP told that a forecast turned likely or certain for a zone around one of its resources,
    for one market time unit and direction (R12): the record that keeps the notification from
    being repeated for the same zone, period and level, and what it said. Written by
    forecasts.notifications; never edited."""

    fsp = models.ForeignKey("prequal.Fsp", models.CASCADE, related_name="+", verbose_name=_("FSP"))
    zone = models.ForeignKey(GridZone, models.PROTECT, related_name="+", verbose_name=_("grid zone"))
    start = models.DateTimeField(_("start"))
    direction = models.CharField(_("direction"), max_length=4, choices=Direction.choices)
    level = models.PositiveSmallIntegerField(_("congestion level"), choices=CongestionLevel.choices)
    publication = models.ForeignKey(
        Publication, models.PROTECT, related_name="notices", verbose_name=_("publication")
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["fsp", "zone", "start", "direction", "level"], name="congestion_notice_once"
            )
        ]

    def __str__(self) -> str:
        return f"FSP {self.fsp_id}: zone {self.zone_id} {self.start:%Y-%m-%d %H:%M} {self.direction}"


class PublicationDeadline(models.Model):
    """When the day-ahead forecast for a delivery day D is due (R12): `days_before` D at
    `local_time` in the publishing operator's time zone, e.g. D-1 10:00. Data per jurisdiction,
    edited in the admin, versioned by `valid_from` like the assessment deadline rules; an empty
    jurisdiction applies to every country without a rule of its own. Read by
    forecasts.discipline (the SO page, the annual report)."""

    jurisdiction = models.CharField(
        _("jurisdiction"), max_length=2, blank=True,
        help_text=_("ISO country code of the publishing SO (e.g. SE); empty applies to every country."),
    )
    name = models.CharField(_("name"), max_length=120)
    legal_basis = models.CharField(_("legal basis"), max_length=200, blank=True)
    days_before = models.PositiveSmallIntegerField(
        _("days before delivery"), default=1, help_text=_("1: the day before the delivery day (D-1).")
    )
    local_time = models.TimeField(
        _("local time"), help_text=_("The latest time on that day, in the operator's time zone.")
    )
    valid_from = models.DateTimeField(_("valid from"))

    class Meta:
        ordering = ["jurisdiction", "-valid_from"]
        constraints = [
            models.UniqueConstraint(
                fields=["jurisdiction", "valid_from"], name="forecast_deadline_one_version"
            )
        ]

    def __str__(self) -> str:
        day = f"D-{self.days_before}" if self.days_before else "D"
        return f"{self.jurisdiction or '*'}: {day} {self.local_time:%H:%M}"
