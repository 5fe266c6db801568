"""System operators, their hierarchy, and connection points (SPEC §2)."""

from __future__ import annotations

import uuid
import zoneinfo

from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

from accounts.models import Organisation
from common.models import TimeStampedModel
from common.querysets import RowCountedQuerySet
from common.validators import validate_bidding_zone, validate_gsrn


def validate_time_zone(value: str) -> None:
    try:
        zoneinfo.ZoneInfo(value)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError) as exc:
        raise ValidationError(_("%(value)s is not a time zone."), params={"value": value}) from exc


def bidding_zone_list(value: str) -> list[str]:
    """ "se3, SE4" → ["SE3", "SE4"]: the zones of SystemOperator.bidding_zones."""
    return [zone for zone in (part.strip().upper() for part in (value or "").split(",")) if zone]


def validate_bidding_zones(value: str) -> None:
    for zone in bidding_zone_list(value):
        validate_bidding_zone(zone)


class SystemOperator(TimeStampedModel):
    class Tier(models.TextChoices):
        TSO = "tso", _("TSO")
        REGIONAL_DSO = "regional_dso", _("Regional DSO")
        LOCAL_DSO = "local_dso", _("Local DSO")

    organisation = models.OneToOneField(
        Organisation,
        models.PROTECT,
        related_name="system_operator",
        limit_choices_to={"kind": Organisation.Kind.SYSTEM_OPERATOR},
    )
    tier = models.CharField(_("tier"), max_length=16, choices=Tier.choices)
    # The grid this operator subscribes to. Empty only for a TSO.
    upstream = models.ForeignKey(
        "self",
        models.PROTECT,
        null=True,
        blank=True,
        related_name="downstream",
        verbose_name=_("upstream operator"),
    )
    time_zone = models.CharField(
        _("time zone"), max_length=64, default="Europe/Stockholm", validators=[validate_time_zone]
    )
    # Data, not code: a new connection point of this operator must lie in one of these zones
    # (observability.points). Empty: not set yet, any zone is taken.
    bidding_zones = models.CharField(
        _("bidding zones"), max_length=200, blank=True, default="", db_default="",
        validators=[validate_bidding_zones],
        help_text=_("The bidding zones the grid lies in, separated by commas, e.g. SE3, SE4. "
                    "Empty: any zone."),
    )

    class Meta:
        ordering = ["organisation__name"]
        constraints = [
            models.CheckConstraint(
                condition=~models.Q(tier="tso") | models.Q(upstream__isnull=True),
                name="so_tso_has_no_upstream",
            ),
            models.CheckConstraint(
                condition=models.Q(tier="tso") | models.Q(upstream__isnull=False),
                name="so_dso_has_upstream",
            ),
        ]

    def __str__(self) -> str:
        return self.organisation.name if self.organisation_id else "?"

    @property
    def name(self) -> str:
        return self.organisation.name

    @property
    def eic_code(self) -> str:
        return self.organisation.eic_code

    @property
    def bidding_zone_list(self) -> list[str]:
        return bidding_zone_list(self.bidding_zones)

    def clean(self) -> None:
        self.bidding_zones = ",".join(dict.fromkeys(self.bidding_zone_list))
        if self.organisation_id and self.organisation.kind != Organisation.Kind.SYSTEM_OPERATOR:
            raise ValidationError({"organisation": _("The organisation is not a system operator.")})
        if self.tier == self.Tier.TSO:
            if self.upstream_id:
                raise ValidationError({"upstream": _("A TSO has no upstream operator.")})
            return
        if not self.upstream_id:
            raise ValidationError({"upstream": _("A DSO needs an upstream operator.")})
        # Walk up the chain: reaching ourselves is a cycle.
        seen: set[int] = set()
        node = self.upstream
        while node is not None:
            if (self.pk and node.pk == self.pk) or node.pk in seen:
                raise ValidationError(
                    {"upstream": _("%(so)s would make the operator hierarchy a cycle.")
                     % {"so": node}}
                )
            seen.add(node.pk)
            node = node.upstream

    def upstream_chain(self) -> list[SystemOperator]:
        """The operators above this one, nearest first."""
        chain, node = [], self.upstream
        while node is not None:
            chain.append(node)
            node = node.upstream
        return chain


class ConnectionPointQuerySet(RowCountedQuerySet):
    def read_by(self, *, system_operator_id: int) -> ConnectionPointQuerySet:
        """The points the operator reads (SPEC §4), in GSRN order off its reader rows, counted
        from those rows alone (common.querysets)."""
        rows = ConnectionPointReader.objects.filter(system_operator_id=system_operator_id)
        return self.filter(readers__system_operator_id=system_operator_id).order_by(
            "readers__gsrn", "readers__connection_point_id"
        ).counted_by(rows)


class ConnectionPoint(TimeStampedModel):
    class VoltageLevel(models.TextChoices):
        LV = "lv", _("Low voltage (≤ 1 kV)")
        MV = "mv", _("Medium voltage (1–36 kV)")
        HV = "hv", _("High voltage (36–150 kV)")
        EHV = "ehv", _("Extra high voltage (> 150 kV)")

    gsrn = models.CharField(_("GSRN"), max_length=18, unique=True, validators=[validate_gsrn])
    connecting_so = models.ForeignKey(
        SystemOperator,
        models.PROTECT,
        related_name="connection_points",
        verbose_name=_("connecting SO"),
    )
    # WGS84. Entered in other CRSs (SWEREF99 TM) through observability.geo.to_wgs84.
    latitude = models.FloatField(
        _("latitude"), validators=[MinValueValidator(-90), MaxValueValidator(90)]
    )
    longitude = models.FloatField(
        _("longitude"), validators=[MinValueValidator(-180), MaxValueValidator(180)]
    )
    voltage_level = models.CharField(_("voltage level"), max_length=4, choices=VoltageLevel.choices)
    bidding_zone = models.CharField(
        _("bidding zone"), max_length=10, validators=[validate_bidding_zone]
    )

    objects = ConnectionPointQuerySet.as_manager()

    class Meta:
        ordering = ["gsrn"]
        indexes = [models.Index(fields=["connecting_so", "gsrn"], name="cp_so_gsrn")]

    def __str__(self) -> str:
        return self.gsrn


class ConnectionPointReader(models.Model):
    """SPEC §4 kept as rows: a system operator reads the point (it connects it, or it reads a
    unit there: prequal's SPU readers). Written by observability.readers; `gsrn` copies the
    point's, so an operator's point list is one range of one index in GSRN order."""

    system_operator = models.ForeignKey(SystemOperator, models.CASCADE, related_name="+", db_index=False)
    connection_point = models.ForeignKey(ConnectionPoint, models.CASCADE, related_name="readers")
    gsrn = models.CharField(max_length=18)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["system_operator", "connection_point"], name="point_reader_once"),
        ]
        indexes = [
            models.Index(fields=["system_operator", "gsrn", "connection_point"], name="point_reader_list"),
        ]

    def __str__(self) -> str:
        return f"operator {self.system_operator_id} reads point {self.connection_point_id}"


class ConnectionPointLocationConfirmation(models.Model):
    """A person's word that a point lies where it was registered although outside its connecting
    SO's observability area at the time (issue 13), with why. Kept with the point, never edited."""

    REASON_MAX_LENGTH = 2000

    connection_point = models.OneToOneField(
        ConnectionPoint, models.CASCADE, related_name="location_confirmation",
        verbose_name=_("connection point"),
    )
    reason = models.CharField(_("reason"), max_length=REASON_MAX_LENGTH)
    confirmed_by = models.ForeignKey(
        "accounts.User", models.PROTECT, null=True, blank=True, related_name="+",
        verbose_name=_("confirmed by"),
    )
    confirmed_at = models.DateTimeField(_("confirmed at"), auto_now_add=True)

    class Meta:
        verbose_name = _("location outside the observability area")
        verbose_name_plural = _("locations outside the observability area")

    def __str__(self) -> str:
        return f"{self.connection_point}: {self.reason[:60]}"


class ObservabilityAreaQuerySet(models.QuerySet):
    def current(self, *, at=None) -> ObservabilityAreaQuerySet:
        """Each operator's version valid at `at` (default now): the latest valid_from <= at."""
        from django.utils import timezone

        at = at or timezone.now()
        latest = (
            ObservabilityArea.objects.filter(
                system_operator=models.OuterRef("system_operator"), valid_from__lte=at
            )
            .order_by("-valid_from", "-id")
            .values("id")[:1]
        )
        return self.filter(valid_from__lte=at, id=models.Subquery(latest))


class GeometryVersion(models.Model):
    """A version of an uploaded area (an observability area; forecasts' grid zones): a valid
    (Multi)Polygon in WGS84 (lon, lat) stored as WKB, its bounding box and area beside it, who
    uploaded it from which file. Versions are kept as uploaded: never edited, never deleted."""

    valid_from = models.DateTimeField(_("valid from"))
    geometry_wkb = models.BinaryField(_("geometry (WKB, WGS84)"))
    min_lon = models.FloatField()
    min_lat = models.FloatField()
    max_lon = models.FloatField()
    max_lat = models.FloatField()
    area_km2 = models.FloatField(_("area (km²)"))
    source_filename = models.CharField(_("source file"), max_length=255)
    source_epsg = models.PositiveIntegerField(_("source EPSG code"))
    uploaded_by = models.ForeignKey(
        "accounts.User",
        models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("uploaded by"),
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        abstract = True

    def save(self, *args, **kwargs) -> None:
        # SPEC §4: every upload is attributed and kept.
        if self.pk is not None and not self._state.adding:
            raise ValueError(f"{type(self).__name__} versions are never edited; upload a new version.")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise ValueError(f"{type(self).__name__} versions are never deleted.")

    @property
    def geometry(self):
        import shapely

        return shapely.from_wkb(bytes(self.geometry_wkb))

    @property
    def bbox(self) -> tuple[float, float, float, float]:
        return (self.min_lon, self.min_lat, self.max_lon, self.max_lat)


class ObservabilityArea(GeometryVersion):
    """One version of an operator's observability area (SPEC §2). Versions are never edited.

    The geometry is a valid (Multi)Polygon in WGS84 (lon, lat), stored as WKB; the bounding
    box and area are kept beside it for lists and maps. The version valid at time t is the
    operator's latest `valid_from` <= t (read by observability.resolver).
    """

    system_operator = models.ForeignKey(
        SystemOperator,
        models.PROTECT,
        related_name="observability_areas",
        verbose_name=_("system operator"),
    )
    vertex_count = models.PositiveIntegerField(_("vertices"))
    polygon_count = models.PositiveIntegerField(_("polygons"))
    # The uploaded polygons were invalid and repaired with make_valid at the engineer's request.
    repaired = models.BooleanField(_("repaired"), default=False)

    objects = ObservabilityAreaQuerySet.as_manager()

    class Meta:
        ordering = ["system_operator", "-valid_from"]
        constraints = [
            models.UniqueConstraint(
                fields=["system_operator", "valid_from"], name="area_one_version_per_instant"
            )
        ]
        indexes = [models.Index(fields=["system_operator", "valid_from"], name="area_so_valid_from")]

    def __str__(self) -> str:
        return f"{self.system_operator} @ {self.valid_from:%Y-%m-%d %H:%M}"



class AreaUpload(models.Model):
    """An uploaded area file between the upload and the engineer's confirmation (or refusal).

    The file's bytes are kept here (not on a local disk) so that any worker machine can read
    them: written by the upload view, read by observability.tasks.area_upload_process_task,
    which records progress, the checked geometry and the preview, or the message on the field.
    The bytes are dropped as soon as processing ends.
    """

    class Status(models.TextChoices):
        QUEUED = "queued", _("Queued")
        PROCESSING = "processing", _("Processing")
        READY = "ready", _("Ready to confirm")
        FAILED = "failed", _("Refused")
        STORED = "stored", _("Stored")

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    system_operator = models.ForeignKey(SystemOperator, models.CASCADE, related_name="+")
    uploaded_by = models.ForeignKey("accounts.User", models.CASCADE, related_name="+")
    filename = models.CharField(max_length=255)
    content = models.BinaryField(null=True)
    repair = models.BooleanField(default=False)
    # Set for a direct API upload without preview: stored as a version from this time once checked.
    store_from = models.DateTimeField(null=True, blank=True)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.QUEUED)
    progress = models.PositiveSmallIntegerField(default=0)  # percent
    errors = models.JSONField(default=dict, blank=True)  # {"field": ["message", ...]}
    preview = models.JSONField(default=dict, blank=True)  # the figures shown before confirming
    geometry_wkb = models.BinaryField(null=True)  # the checked WGS84 area
    version = models.ForeignKey(
        ObservabilityArea, models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        indexes = [models.Index(fields=["created_at"], name="area_upload_created")]

    def __str__(self) -> str:
        return f"{self.filename} ({self.status})"
