"""Temporary limits and the activation check (SPEC R7, R8) live here.

A temporary limit is one SO's short-term restriction on exactly one target: an SPU, an SPG,
a connection point, or a polygon inside the SO's observability area. Every change is kept
in LimitEvent (immutable), every refusal as too late in LimitRefusal: both are read by the
annual report (R9).
"""

from __future__ import annotations

from datetime import datetime

from django.conf import settings
from django.core.validators import MinValueValidator
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from common.text import REASON_MAX_LENGTH, bounded_text_field
from forecasts.models import GridZone, Publication
from limits.periods import CUT_SHORT, LimitStatus, effective_end_expression, limit_status_q, row_satisfies
from observability.models import ConnectionPoint, SystemOperator
from prequal.models import Direction, Spg, Spu


class TargetKind(models.TextChoices):
    SPU = "spu", _("SPU")
    SPG = "spg", _("SPG")
    CONNECTION_POINT = "connection_point", _("Connection point")
    AREA = "area", _("Part of the observability area")


class TemporaryLimitQuerySet(models.QuerySet):
    def in_status(self, status: str, *, at: datetime | None = None) -> TemporaryLimitQuerySet:
        return self.filter(limit_status_q(status, at=at or timezone.now()))

    def with_effective_period(self) -> TemporaryLimitQuerySet:
        """Annotate `effective_until` and `effective_duration`: the period the limit applies.

        The one home of the rule for many rows (the annual report, limit statistics);
        TemporaryLimit.effective_end reads the annotation when present.
        """
        return self.annotate(effective_until=effective_end_expression()).annotate(
            effective_duration=models.ExpressionWrapper(
                models.F("effective_until") - models.F("start"), output_field=models.DurationField()
            )
        )


class TemporaryLimit(models.Model):
    """One temporary limit (SPEC §2, R7). Changed only through limits.services.

    `quantity_mw` caps each resource the target covers (an SPU, the SPG as a whole, each SPU
    at the point or in the polygon) in `direction`; 0 blocks it. A lifted limit applies from
    `start` until `lifted_at` (if that is before `end`).
    """

    system_operator = models.ForeignKey(
        SystemOperator, models.PROTECT, related_name="temporary_limits", verbose_name=_("system operator")
    )
    target_kind = models.CharField(_("target"), max_length=20, choices=TargetKind.choices)
    spu = models.ForeignKey(
        Spu, models.PROTECT, null=True, blank=True, related_name="temporary_limits", verbose_name=_("SPU")
    )
    spg = models.ForeignKey(
        Spg, models.PROTECT, null=True, blank=True, related_name="temporary_limits", verbose_name=_("SPG")
    )
    connection_point = models.ForeignKey(
        ConnectionPoint,
        models.PROTECT,
        null=True,
        blank=True,
        related_name="temporary_limits",
        verbose_name=_("connection point"),
    )
    # Area targets: a WGS84 GeoJSON geometry (clipped to the SO's observability area) and its bbox.
    area_geojson = models.TextField(_("area (GeoJSON, WGS84)"), blank=True)
    min_lon = models.FloatField(null=True, blank=True)
    min_lat = models.FloatField(null=True, blank=True)
    max_lon = models.FloatField(null=True, blank=True)
    max_lat = models.FloatField(null=True, blank=True)
    direction = models.CharField(_("direction"), max_length=4, choices=Direction.choices)
    quantity_mw = models.DecimalField(
        _("quantity (MW)"), max_digits=10, decimal_places=3, validators=[MinValueValidator(0)]
    )
    start = models.DateTimeField(_("start"))
    end = models.DateTimeField(_("end"))
    reason = bounded_text_field(_("reason"), max_length=REASON_MAX_LENGTH)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, models.PROTECT, related_name="+", verbose_name=_("created by")
    )
    created_at = models.DateTimeField(_("created at"), default=timezone.now)
    updated_at = models.DateTimeField(_("updated at"), default=timezone.now)
    # The latest allowed publication time computed when the limit was (last) published (R7).
    latest_allowed_at = models.DateTimeField(_("latest allowed publication"), null=True, blank=True)
    lifted_at = models.DateTimeField(_("lifted at"), null=True, blank=True)
    lifted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("lifted by"),
    )
    # The congestion forecast that motivated the limit (R12), if the engineer cites one: a
    # publication of the operator, and optionally the zone in it (limits.services.citations).
    forecast_publication = models.ForeignKey(
        Publication,
        models.PROTECT,
        null=True,
        blank=True,
        related_name="cited_by_limits",
        verbose_name=_("forecast cited"),
    )
    forecast_zone = models.ForeignKey(
        GridZone,
        models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("grid zone cited"),
    )

    objects = TemporaryLimitQuerySet.as_manager()

    class Meta:
        ordering = ["-start", "-pk"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(end__gt=models.F("start")), name="limit_end_after_start"
            ),
            models.CheckConstraint(
                condition=models.Q(quantity_mw__gte=0), name="limit_quantity_non_negative"
            ),
            models.CheckConstraint(
                condition=(
                    models.Q(
                        target_kind="spu", spu__isnull=False, spg__isnull=True, connection_point__isnull=True
                    )
                    | models.Q(
                        target_kind="spg", spu__isnull=True, spg__isnull=False, connection_point__isnull=True
                    )
                    | models.Q(
                        target_kind="connection_point",
                        spu__isnull=True,
                        spg__isnull=True,
                        connection_point__isnull=False,
                    )
                    | models.Q(
                        target_kind="area",
                        spu__isnull=True,
                        spg__isnull=True,
                        connection_point__isnull=True,
                        min_lon__isnull=False,
                    )
                ),
                name="limit_exactly_one_target",
            ),
        ]
        # Read by the activation check: limits of one target that end after a given instant.
        indexes = [
            models.Index(fields=["spu", "end"], name="limit_spu_end", condition=models.Q(spu__isnull=False)),
            models.Index(fields=["spg", "end"], name="limit_spg_end", condition=models.Q(spg__isnull=False)),
            models.Index(
                fields=["connection_point", "end"],
                name="limit_cp_end",
                condition=models.Q(connection_point__isnull=False),
            ),
            models.Index(
                fields=["end", "min_lon"], name="limit_area_end", condition=models.Q(target_kind="area")
            ),
            models.Index(fields=["system_operator", "-start"], name="limit_so_start"),
        ]

    def __str__(self) -> str:
        return f"#{self.pk} {self.target_label}: {self.get_direction_display()} ≤ {self.quantity_mw} MW"

    @property
    def target(self):
        return {
            TargetKind.SPU: self.spu,
            TargetKind.SPG: self.spg,
            TargetKind.CONNECTION_POINT: self.connection_point,
        }.get(self.target_kind)

    @property
    def target_label(self) -> str:
        if self.target_kind == TargetKind.AREA:
            return str(_("area polygon"))
        if self.target_kind == TargetKind.CONNECTION_POINT:
            return str(_("connection point %(gsrn)s") % {"gsrn": self.connection_point.gsrn})
        kind = TargetKind(self.target_kind).label
        return f"{kind} {self.target.code}"

    @property
    def effective_end(self):
        """When the limit stops applying: its end, or when it was lifted if that is earlier.

        TemporaryLimitQuerySet.with_effective_period's expression, for one row in memory
        (its annotation, when the row was read with it).
        """
        if hasattr(self, "effective_until"):
            return self.effective_until
        if row_satisfies(CUT_SHORT, self):
            return max(self.lifted_at, self.start)
        return self.end

    def status_at(self, at) -> str:
        """The limit's status at `at`: limit_status_q's rule for this one row."""
        for status in (LimitStatus.LIFTED, LimitStatus.UPCOMING, LimitStatus.ACTIVE):
            if row_satisfies(limit_status_q(status, at=at), self):
                return status
        return LimitStatus.ENDED

    @property
    def status(self) -> str:
        return self.status_at(timezone.now())

    def get_status_display(self) -> str:
        return LimitStatus(self.status).label

    def may_change(self, *, engineer_org_ids) -> bool:
        """An engineer of the issuing SO may still change or lift the limit: it is upcoming or
        active (lifted and ended limits are refused by limits.services)."""
        return self.system_operator.organisation_id in engineer_org_ids and self.status in (
            LimitStatus.UPCOMING,
            LimitStatus.ACTIVE,
        )

    @property
    def is_blocking(self) -> bool:
        return self.quantity_mw == 0


class ImmutableLimitRecord(Exception):
    """Raised on any attempt to change or delete a limit's history."""


class _ImmutableQuerySet(models.QuerySet):
    def update(self, **kwargs):
        raise ImmutableLimitRecord(_("The history of limits cannot be changed."))

    def delete(self):
        raise ImmutableLimitRecord(_("The history of limits cannot be deleted."))


class _Immutable(models.Model):
    objects = _ImmutableQuerySet.as_manager()

    class Meta:
        abstract = True

    def save(self, *args, **kwargs) -> None:
        if not self._state.adding:
            raise ImmutableLimitRecord(_("The history of limits cannot be changed."))
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise ImmutableLimitRecord(_("The history of limits cannot be deleted."))


class LimitEvent(_Immutable):
    """One row per create, update or lift of a limit: who, when, the values before and after."""

    class Action(models.TextChoices):
        CREATE = "create", _("Published")
        UPDATE = "update", _("Changed")
        LIFT = "lift", _("Lifted")

    limit = models.ForeignKey(TemporaryLimit, models.PROTECT, related_name="events")
    action = models.CharField(_("action"), max_length=8, choices=Action.choices)
    at = models.DateTimeField(_("at"), default=timezone.now)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, models.PROTECT, related_name="+")
    before = models.JSONField(_("before"), default=dict, blank=True)
    after = models.JSONField(_("after"), default=dict, blank=True)
    latest_allowed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["at", "pk"]
        indexes = [models.Index(fields=["limit", "at"], name="limit_event_limit_at")]

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M} {self.action} limit #{self.limit_id}"


class LimitRefusal(_Immutable):
    """A limit (or a change) refused because it came later than R7 allows. Counted in R9."""

    system_operator = models.ForeignKey(SystemOperator, models.PROTECT, related_name="+")
    at = models.DateTimeField(_("at"), default=timezone.now)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, models.PROTECT, related_name="+")
    limit = models.ForeignKey(
        TemporaryLimit,
        models.PROTECT,
        null=True,
        blank=True,
        related_name="refusals",
        help_text=_("The limit whose change was refused; empty for a refused new limit."),
    )
    target_kind = models.CharField(max_length=20, choices=TargetKind.choices)
    target_id = models.PositiveBigIntegerField(null=True, blank=True)
    target_description = models.CharField(max_length=200, blank=True)
    requested_start = models.DateTimeField()
    latest_allowed_at = models.DateTimeField()

    class Meta:
        ordering = ["at", "pk"]
        indexes = [models.Index(fields=["system_operator", "at"], name="limit_refusal_so_at")]

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M} refused ({self.target_description})"


class LimitConcern(models.Model):
    """An FSP concerned by a limit when it was published (notified, and shown the limit)."""

    limit = models.ForeignKey(TemporaryLimit, models.CASCADE, related_name="concerns")
    fsp = models.ForeignKey("prequal.Fsp", models.CASCADE, related_name="+")

    class Meta:
        constraints = [models.UniqueConstraint(fields=["limit", "fsp"], name="limit_concern_once")]
        indexes = [models.Index(fields=["fsp", "limit"], name="limit_concern_fsp")]

    def __str__(self) -> str:
        return f"limit #{self.limit_id} concerns FSP #{self.fsp_id}"


class MarketPlatformClient(models.Model):
    """A market platform's API user: asks the activation check for the SOs it is registered for
    (R8, SPEC §4); a client registered for none may ask nothing."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, models.CASCADE, related_name="market_platform_client"
    )
    name = models.CharField(_("name"), max_length=200)
    system_operators = models.ManyToManyField(
        SystemOperator,
        blank=True,
        related_name="market_platform_clients",
        verbose_name=_("registered for"),
        help_text=_("The system operators this platform may ask the activation check as."),
    )
    is_active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        ordering = ["name"]
        verbose_name = _("market platform client")

    def __str__(self) -> str:
        return self.name
