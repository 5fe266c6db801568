"""FSPs, their units (SPUs) and groups (SPGs) with time-bounded memberships, and products (SPEC §2)."""

from __future__ import annotations

import zoneinfo
from datetime import UTC, datetime, timedelta

from django.core.exceptions import ValidationError
from django.core.validators import MinValueValidator
from django.db import models
from django.utils.translation import get_language, ngettext
from django.utils.translation import gettext_lazy as _

from accounts.models import Organisation
from common.models import TimeStampedModel
from common.querysets import RowCountedQuerySet
from common.text import NormalizedCharField
from common.validators import validate_bidding_zone
from observability.models import ConnectionPoint, SystemOperator


class Direction(models.TextChoices):
    UP = "up", _("Up")
    DOWN = "down", _("Down")
    BOTH = "both", _("Up and down")


class Fsp(TimeStampedModel):
    organisation = models.OneToOneField(
        Organisation,
        models.PROTECT,
        related_name="fsp",
        limit_choices_to={"kind": Organisation.Kind.FSP},
    )

    class Meta:
        ordering = ["organisation__name"]
        verbose_name = _("FSP")
        verbose_name_plural = _("FSPs")

    def __str__(self) -> str:
        return self.organisation.name if self.organisation_id else "?"

    @property
    def name(self) -> str:
        return self.organisation.name

    def clean(self) -> None:
        if self.organisation_id and self.organisation.kind != Organisation.Kind.FSP:
            raise ValidationError({"organisation": _("The organisation is not an FSP.")})


class Product(TimeStampedModel):
    """A balancing reserve or a local service (SPEC §2), and when its bids close (read by R7).

    The gate closes either a fixed lead time before each market time unit (mFRR energy: 45
    minutes), or, for products auctioned days ahead (FCR: D-1 18:00), at a local clock time in
    the procuring SO's time zone a number of days before the delivery day.
    """

    class Kind(models.TextChoices):
        # The kind also picks the deadline rule (R4): reserves and local services cite
        # different law.
        BALANCING = "balancing", _("Balancing")
        LOCAL = "local", _("Local service")

    code = models.SlugField(_("code"), max_length=40, unique=True)
    name = NormalizedCharField(_("name"), max_length=120)  # English: the API's stable name
    name_sv = NormalizedCharField(
        _("Swedish name"), max_length=120, blank=True,
        help_text=_("Shown on Swedish pages; empty: the name above."),
    )
    kind = models.CharField(_("kind"), max_length=12, choices=Kind.choices)
    procuring_so = models.ForeignKey(
        SystemOperator, models.PROTECT, related_name="products", verbose_name=_("procuring SO")
    )
    directions = models.CharField(_("directions"), max_length=4, choices=Direction.choices)
    market_time_unit_minutes = models.PositiveIntegerField(
        _("market time unit (minutes)"), validators=[MinValueValidator(1)]
    )
    # Balancing energy gate closure: how long before delivery bids close (R7 counts from it).
    gate_closure_minutes = models.PositiveIntegerField(
        _("gate closure lead time (minutes)"), default=0,
        help_text=_("Minutes before each market time unit that bids close; 0 with a day-ahead gate closure."),
    )
    gate_closure_days_ahead = models.PositiveSmallIntegerField(
        _("gate closure (days before delivery)"), null=True, blank=True,
        help_text=_("For products auctioned days ahead: 1 for D-1, 2 for D-2; empty for a lead time."),
    )
    gate_closure_local_time = models.TimeField(
        _("gate closure (local time)"), null=True, blank=True,
        help_text=_(
            "With days before delivery: the clock time the auction closes, in the procuring SO's time zone."
        ),
    )
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        ordering = ["code"]

    def __str__(self) -> str:
        return self.label

    @property
    def label(self) -> str:
        """The name in the active language: the Swedish name on Swedish pages when there is one."""
        if self.name_sv and (get_language() or "").startswith("sv"):
            return self.name_sv
        return self.name

    def clean(self) -> None:
        day_ahead = self.gate_closure_days_ahead is not None
        if day_ahead != (self.gate_closure_local_time is not None):
            raise ValidationError({"gate_closure_local_time": _(
                "Give both the days before delivery and the local clock time of a day-ahead gate closure, "
                "or neither."
            )})
        if day_ahead and self.gate_closure_minutes:
            raise ValidationError({"gate_closure_minutes": _(
                "A product closes either a lead time before delivery or at a day-ahead clock time, not both: "
                "set the lead time to 0."
            )})

    def gate_closure_for(self, delivery_start: datetime) -> datetime:
        """When bids for the market time unit starting at `delivery_start` close (UTC).

        Day-ahead products count days on the procuring SO's local calendar (D-1 18:00 is 18:00
        local time on the day before the delivery's local date, whatever daylight saving does).
        """
        if self.gate_closure_days_ahead is None:
            return delivery_start - timedelta(minutes=self.gate_closure_minutes)
        zone = zoneinfo.ZoneInfo(self.procuring_so.time_zone)
        day = delivery_start.astimezone(zone).date() - timedelta(days=self.gate_closure_days_ahead)
        return datetime.combine(day, self.gate_closure_local_time, tzinfo=zone).astimezone(UTC)

    def gate_closure_label(self) -> str:
        """E.g. "45 minutes before delivery" or "D-1 18:00 (Europe/Stockholm)"."""
        if self.gate_closure_days_ahead is None:
            return ngettext(
                "%(minutes)s minute before delivery", "%(minutes)s minutes before delivery",
                self.gate_closure_minutes,
            ) % {"minutes": self.gate_closure_minutes}
        clock = f"{self.gate_closure_local_time:%H:%M}"
        return f"D-{self.gate_closure_days_ahead} {clock} ({self.procuring_so.time_zone})"


class SpuQuerySet(RowCountedQuerySet):
    """SPUs; `read_by` scopes them to what one system operator reads (SPEC §4).

    A queryset scoped by `read_by` pages off the operator's reader rows in code order and counts
    those rows alone (prequal.models.readers; common.querysets): counting through the join read
    the TSO's 200,000 units for every page. That count holds while nothing but `active()`
    narrows the queryset; any other filter counts the exact way, through the join.
    """

    def read_by(self, *, system_operator_id: int) -> SpuQuerySet:
        """The SPUs the operator reads, in code order (its rows' copy of the code)."""
        rows = self.model._meta.get_field("readers").related_model.objects.filter(
            system_operator_id=system_operator_id
        )
        return self.filter(readers__system_operator_id=system_operator_id).order_by(
            "readers__spu_code", "readers__spu_id"
        ).counted_by(rows)

    def active(self, flag: bool | None) -> SpuQuerySet:
        """Active (True), deactivated (False) or all (None) units."""
        if flag is None:
            return self
        rows = self._count_rows
        narrowed = self.filter(is_active=flag)
        return narrowed if rows is None else narrowed.counted_by(rows.filter(is_active=flag))


class Spu(TimeStampedModel):
    """Service providing unit: controllable units behind one connection point."""

    class Technology(models.TextChoices):
        BATTERY = "battery", _("Battery")
        EV_CHARGING = "ev_charging", _("EV charging")
        HEAT_PUMP = "heat_pump", _("Heat pump")
        INDUSTRIAL_LOAD = "industrial_load", _("Industrial load")
        SOLAR = "solar", _("Solar PV")
        WIND = "wind", _("Wind")
        HYDRO = "hydro", _("Hydro")
        CHP = "chp", _("Combined heat and power")
        OTHER = "other", _("Other")

    fsp = models.ForeignKey(Fsp, models.PROTECT, related_name="spus", verbose_name=_("FSP"))
    connection_point = models.ForeignKey(
        ConnectionPoint, models.PROTECT, related_name="spus", verbose_name=_("connection point")
    )
    # The FSP's own identifier; unique per FSP, used by CSV imports and the API.
    code = NormalizedCharField(_("code"), max_length=64)
    name = NormalizedCharField(_("name"), max_length=200)
    technology = models.CharField(_("technology"), max_length=20, choices=Technology.choices)
    max_up_kw = models.DecimalField(
        _("maximum up (kW)"), max_digits=12, decimal_places=3, validators=[MinValueValidator(0)]
    )
    max_down_kw = models.DecimalField(
        _("maximum down (kW)"), max_digits=12, decimal_places=3, validators=[MinValueValidator(0)]
    )
    is_active = models.BooleanField(_("active"), default=True)
    deactivated_at = models.DateTimeField(_("deactivated at"), null=True, blank=True)

    objects = SpuQuerySet.as_manager()

    class Meta:
        ordering = ["code"]
        verbose_name = _("SPU")
        verbose_name_plural = _("SPUs")
        constraints = [
            models.UniqueConstraint(fields=["fsp", "code"], name="spu_code_unique_per_fsp"),
            models.CheckConstraint(
                condition=models.Q(max_up_kw__gte=0) & models.Q(max_down_kw__gte=0),
                name="spu_capacity_non_negative",
            ),
        ]
        indexes = [models.Index(fields=["fsp", "is_active"], name="spu_fsp_active")]

    def __str__(self) -> str:
        return f"{self.code} – {self.name}"

    def clean(self) -> None:
        if self.max_up_kw is not None and self.max_down_kw is not None:
            if self.max_up_kw == 0 and self.max_down_kw == 0:
                raise ValidationError(
                    {"max_up_kw": _("An SPU must offer some capacity up or down.")}
                )


class Spg(TimeStampedModel):
    """Service providing group: SPUs of one FSP at several connection points in one zone."""

    fsp = models.ForeignKey(Fsp, models.PROTECT, related_name="spgs", verbose_name=_("FSP"))
    code = NormalizedCharField(_("code"), max_length=64)
    name = NormalizedCharField(_("name"), max_length=200)
    bidding_zone = models.CharField(
        _("bidding zone"), max_length=10, validators=[validate_bidding_zone]
    )
    is_active = models.BooleanField(_("active"), default=True)
    deactivated_at = models.DateTimeField(_("deactivated at"), null=True, blank=True)
    members = models.ManyToManyField(Spu, through="SpgMembership", related_name="spgs")

    class Meta:
        ordering = ["code"]
        verbose_name = _("SPG")
        verbose_name_plural = _("SPGs")
        constraints = [
            models.UniqueConstraint(fields=["fsp", "code"], name="spg_code_unique_per_fsp"),
        ]

    def __str__(self) -> str:
        return f"{self.code} – {self.name}"


class SpgMembership(TimeStampedModel):
    """An SPU in an SPG from `valid_from` until `valid_to` (open-ended when empty)."""

    spg = models.ForeignKey(Spg, models.CASCADE, related_name="memberships")
    spu = models.ForeignKey(Spu, models.PROTECT, related_name="spg_memberships")
    valid_from = models.DateTimeField(_("valid from"))
    valid_to = models.DateTimeField(_("valid to"), null=True, blank=True)

    class Meta:
        ordering = ["valid_from"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(valid_to__isnull=True)
                | models.Q(valid_to__gt=models.F("valid_from")),
                name="spg_membership_period_positive",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.spu} in {self.spg}"

    def clean(self) -> None:
        if not (self.spg_id and self.spu_id):
            return
        errors = {}
        if self.spu.fsp_id != self.spg.fsp_id:
            errors["spu"] = _("The SPU belongs to another FSP.")
        elif self.spu.connection_point.bidding_zone != self.spg.bidding_zone:
            errors["spu"] = _(
                "The SPU is in bidding zone %(spu)s; the group is in %(spg)s."
            ) % {"spu": self.spu.connection_point.bidding_zone, "spg": self.spg.bidding_zone}
        if self.valid_to and self.valid_from and self.valid_to <= self.valid_from:
            errors["valid_to"] = _("The membership must end after it starts.")
        if not errors and self.valid_from:
            overlapping = SpgMembership.objects.filter(spg_id=self.spg_id, spu_id=self.spu_id)
            if self.pk:
                overlapping = overlapping.exclude(pk=self.pk)
            overlapping = overlapping.filter(
                models.Q(valid_to__isnull=True) | models.Q(valid_to__gt=self.valid_from)
            )
            if self.valid_to:
                overlapping = overlapping.filter(valid_from__lt=self.valid_to)
            if overlapping.exists():
                errors["valid_from"] = _("The SPU is already a member of this group then.")
        if errors:
            raise ValidationError(errors)
