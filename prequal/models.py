"""FSPs, their units and groups, and products (SPEC §2)."""

from __future__ import annotations

import calendar
import zoneinfo
from datetime import datetime

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MinValueValidator
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django_fsm import ConcurrentTransitionMixin, FSMField, can_proceed, transition

from accounts.models import Organisation
from common.models import TimeStampedModel
from common.validators import validate_bidding_zone
from observability.models import ConnectionPoint, SystemOperator, validate_time_zone


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
    class Kind(models.TextChoices):
        BALANCING = "balancing", _("Balancing")
        LOCAL = "local", _("Local service")

    code = models.SlugField(_("code"), max_length=40, unique=True)
    name = models.CharField(_("name"), max_length=120)
    kind = models.CharField(_("kind"), max_length=12, choices=Kind.choices)
    procuring_so = models.ForeignKey(
        SystemOperator, models.PROTECT, related_name="products", verbose_name=_("procuring SO")
    )
    directions = models.CharField(_("directions"), max_length=4, choices=Direction.choices)
    market_time_unit_minutes = models.PositiveIntegerField(
        _("market time unit (minutes)"), validators=[MinValueValidator(1)]
    )
    # Balancing energy gate closure: how long before delivery bids close (R7 counts from it).
    gate_closure_minutes = models.PositiveIntegerField(_("gate closure lead time (minutes)"))
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        ordering = ["code"]

    def __str__(self) -> str:
        return self.name


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
    code = models.CharField(_("code"), max_length=64)
    name = models.CharField(_("name"), max_length=200)
    technology = models.CharField(_("technology"), max_length=20, choices=Technology.choices)
    max_up_kw = models.DecimalField(
        _("maximum up (kW)"), max_digits=12, decimal_places=3, validators=[MinValueValidator(0)]
    )
    max_down_kw = models.DecimalField(
        _("maximum down (kW)"), max_digits=12, decimal_places=3, validators=[MinValueValidator(0)]
    )
    is_active = models.BooleanField(_("active"), default=True)
    deactivated_at = models.DateTimeField(_("deactivated at"), null=True, blank=True)

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
    code = models.CharField(_("code"), max_length=64)
    name = models.CharField(_("name"), max_length=200)
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


# --- Grid prequalification workflow (SPEC R2–R6): rules, cases, assessments, conditions, audit ---


def default_reminder_days() -> list[int]:
    return [7, 1]


class DeadlineRule(TimeStampedModel):
    """How long an SO has to assess, and on what legal basis (SPEC R4). Data, edited in the admin.

    Versioned by `valid_from`: the rule in force for the assessing SO's country when the case is
    submitted applies, and each assessment keeps a reference to it. An empty jurisdiction is
    the fallback for every country without a rule of its own.
    """

    jurisdiction = models.CharField(
        _("jurisdiction"), max_length=2, blank=True,
        help_text=_("ISO country code of the assessing SO (e.g. SE); empty applies to every country."),
    )
    name = models.CharField(_("name"), max_length=120)
    legal_basis = models.CharField(
        _("legal basis"), max_length=200, help_text=_("Shown on every deadline, e.g. SO GL Art. 182(3).")
    )
    period_months = models.PositiveSmallIntegerField(_("period (months)"), default=3)
    period_days = models.PositiveSmallIntegerField(_("period (days)"), default=0)
    supplement_period_days = models.PositiveSmallIntegerField(
        _("supplement period (days)"), default=28,
        help_text=_("How long the FSP has to supply missing information before the case is withdrawn."),
    )
    reminder_days = models.JSONField(
        _("reminders (days before the deadline)"), default=default_reminder_days
    )
    outcome_validity_months = models.PositiveSmallIntegerField(
        _("outcome validity (months)"), default=60,
        help_text=_("How long a decided case stays valid before it expires."),
    )
    valid_from = models.DateTimeField(_("valid from"))

    class Meta:
        ordering = ["jurisdiction", "-valid_from"]
        constraints = [
            models.UniqueConstraint(
                fields=["jurisdiction", "valid_from"], name="deadline_rule_unique_version"
            )
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.legal_basis})"

    def clean(self) -> None:
        errors = {}
        if not (self.period_months or self.period_days):
            errors["period_months"] = _("The period must be longer than zero: give months or days.")
        days = self.reminder_days
        if not isinstance(days, list) or not all(isinstance(d, int) and d > 0 for d in days):
            errors["reminder_days"] = _("Give the reminders as a list of whole days, e.g. [7, 1].")
        if self.supplement_period_days == 0:
            errors["supplement_period_days"] = _("The supplement period must be at least one day.")
        if errors:
            raise ValidationError(errors)


class CaseQuerySet(models.QuerySet):
    def prequalified(self, *, spu_ids=None, spg_ids=None, product_id: int | None = None) -> CaseQuerySet:
        """Cases that make their resource prequalified for their product now (R2, R7, R8).

        The rule: decided approved (with or without conditions), or under re-assessment after
        such an outcome, which holds until the new one is reached. Case.prequalifying_outcome
        is the same rule for rows already in memory (the activation check's fast path).
        With `spu_ids` and/or `spg_ids`, only the cases of those resources.
        """
        allowed = Case.PREQUALIFIED
        qs = self.filter(
            models.Q(status__in=allowed)
            | models.Q(status=Case.Status.UNDER_ASSESSMENT, previous_outcome__in=allowed)
        )
        if spu_ids is not None or spg_ids is not None:
            qs = qs.filter(
                models.Q(spu_id__in=list(spu_ids or ())) | models.Q(spg_id__in=list(spg_ids or ()))
            )
        if product_id is not None:
            qs = qs.filter(product_id=product_id)
        return qs


class Case(ConcurrentTransitionMixin, TimeStampedModel):
    """A grid prequalification case: one SPU or SPG applying for one product (SPEC R2).

    `status` changes only through the transitions below, called by prequal.services.cases
    inside a transaction. The assessments of the current `round` decide the outcome; a
    material change of the resource starts a new round and keeps the previous outcome in
    `previous_outcome` until the new one is reached.
    """

    class Status(models.TextChoices):
        DRAFT = "draft", _("Draft")
        SUBMITTED = "submitted", _("Submitted")
        UNDER_ASSESSMENT = "under_assessment", _("Under assessment")
        APPROVED = "approved", _("Approved")
        CONDITIONALLY_APPROVED = "conditionally_approved", _("Conditionally approved")
        NOT_APPROVED = "not_approved", _("Not approved")
        WITHDRAWN = "withdrawn", _("Withdrawn")
        EXPIRED = "expired", _("Expired")

    DECIDED = (Status.APPROVED, Status.CONDITIONALLY_APPROVED, Status.NOT_APPROVED)
    UNDECIDED = (Status.SUBMITTED, Status.UNDER_ASSESSMENT)
    # The outcomes that make the resource prequalified for the product (CaseQuerySet.prequalified).
    PREQUALIFIED = (Status.APPROVED, Status.CONDITIONALLY_APPROVED)

    fsp = models.ForeignKey(Fsp, models.PROTECT, related_name="cases", verbose_name=_("FSP"))
    spu = models.ForeignKey(
        Spu, models.PROTECT, null=True, blank=True, related_name="cases", verbose_name=_("SPU")
    )
    spg = models.ForeignKey(
        Spg, models.PROTECT, null=True, blank=True, related_name="cases", verbose_name=_("SPG")
    )
    product = models.ForeignKey(
        Product, models.PROTECT, related_name="cases", verbose_name=_("product")
    )
    status = FSMField(
        _("status"), max_length=24, choices=Status.choices, default=Status.DRAFT, protected=True
    )
    # Assessment round: 1 at submission, +1 on every re-assessment after a material change.
    round = models.PositiveSmallIntegerField(_("round"), default=0)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, models.PROTECT, null=True, blank=True, related_name="+"
    )
    submitted_at = models.DateTimeField(_("submitted at"), null=True, blank=True)
    decided_at = models.DateTimeField(_("decided at"), null=True, blank=True)
    # When the outcome stops being valid; read by the sweep (expiry).
    valid_until = models.DateTimeField(_("valid until"), null=True, blank=True)
    # R3: set while an SO waits for missing information; read by the sweep (auto-withdrawal).
    information_requested_at = models.DateTimeField(null=True, blank=True)
    supplement_due = models.DateTimeField(_("supplement due"), null=True, blank=True)
    # R2: the outcome before the current re-assessment, visible until the new one.
    previous_outcome = models.CharField(
        _("previous outcome"), max_length=24, blank=True, choices=Status.choices
    )
    previous_decided_at = models.DateTimeField(null=True, blank=True)

    objects = CaseQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.CheckConstraint(
                condition=(models.Q(spu__isnull=False) & models.Q(spg__isnull=True))
                | (models.Q(spu__isnull=True) & models.Q(spg__isnull=False)),
                name="case_exactly_one_resource",
            ),
            # One live application per resource and product (checked with a clear message in
            # prequal.services.cases; these catch two requests racing past that check).
            models.UniqueConstraint(
                fields=["spu", "product"], name="case_one_live_per_spu_product",
                condition=models.Q(spu__isnull=False) & ~models.Q(status__in=["withdrawn", "expired"]),
            ),
            models.UniqueConstraint(
                fields=["spg", "product"], name="case_one_live_per_spg_product",
                condition=models.Q(spg__isnull=False) & ~models.Q(status__in=["withdrawn", "expired"]),
            ),
        ]
        indexes = [
            models.Index(fields=["fsp", "status"], name="case_fsp_status"),
            # Applications newest first (prequal.selectors.cases.case_list_for_user): an FSP's,
            # and every case an SO or the NRA reads (walked in order, first 50 rows).
            models.Index(fields=["fsp", "created_at", "id"], name="case_fsp_created"),
            models.Index(fields=["created_at", "id"], name="case_created"),
            # Rows with a running supplement clock only. Read by deadlines_sweep().
            models.Index(
                fields=["supplement_due"], name="case_supplement_due_open",
                condition=models.Q(supplement_due__isnull=False),
            ),
            # Decided rows with a validity end. Read by deadlines_sweep() (expiry).
            models.Index(
                fields=["valid_until"], name="case_valid_until_open",
                condition=models.Q(valid_until__isnull=False),
            ),
        ]

    def __str__(self) -> str:
        return f"#{self.pk} {self.resource} – {self.product}" if self.pk else "new case"

    @property
    def resource(self):
        return self.spu if self.spu_id else self.spg

    @property
    def is_decided(self) -> bool:
        return self.status in self.DECIDED

    @classmethod
    def prequalifying_outcome(cls, *, status: str, previous_outcome: str) -> str | None:
        """The outcome by which a case with these values prequalifies its resource, or None.

        CaseQuerySet.prequalified's rule for a row already read (the activation check reads
        raw rows): the decided approval, or during a re-assessment the approval before it.
        """
        if status in cls.PREQUALIFIED:
            return status
        if status == cls.Status.UNDER_ASSESSMENT and previous_outcome in cls.PREQUALIFIED:
            return previous_outcome
        return None

    @property
    def awaits_information(self) -> bool:
        """R3: an operator declared the case incomplete and waits for the FSP's information."""
        return self.status == self.Status.UNDER_ASSESSMENT and self.supplement_due is not None

    # Rights that depend on the state, next to the transitions whose guards they read.
    # `fsp_org_ids`: the organisations the user acts for as an FSP user.

    def may_submit(self, *, fsp_org_ids) -> bool:
        """The FSP may submit (or edit, or delete) the case now: it is its draft."""
        return self.fsp.organisation_id in fsp_org_ids and can_proceed(self.submit)

    def may_withdraw(self, *, fsp_org_ids) -> bool:
        """The FSP may withdraw the case now (R2: until it is decided)."""
        return self.fsp.organisation_id in fsp_org_ids and can_proceed(self.withdraw)

    def may_supply_information(self, *, fsp_org_ids) -> bool:
        """The FSP may supply the missing information now (R3)."""
        return self.fsp.organisation_id in fsp_org_ids and self.awaits_information

    # Transitions: side-effect free; prequal.services.cases calls them and saves.
    @transition(field=status, source=Status.DRAFT, target=Status.SUBMITTED)
    def submit(self) -> None:
        pass

    @transition(field=status, source=Status.SUBMITTED, target=Status.UNDER_ASSESSMENT)
    def open_assessment(self) -> None:
        pass

    @transition(field=status, source=[Status.SUBMITTED, Status.UNDER_ASSESSMENT], target=Status.WITHDRAWN)
    def withdraw(self) -> None:
        pass

    @transition(field=status, source=Status.UNDER_ASSESSMENT, target=Status.APPROVED)
    def approve(self) -> None:
        pass

    @transition(field=status, source=Status.UNDER_ASSESSMENT, target=Status.CONDITIONALLY_APPROVED)
    def approve_conditionally(self) -> None:
        pass

    @transition(field=status, source=Status.UNDER_ASSESSMENT, target=Status.NOT_APPROVED)
    def refuse(self) -> None:
        pass

    @transition(
        field=status,
        source=[Status.UNDER_ASSESSMENT, Status.APPROVED, Status.CONDITIONALLY_APPROVED,
                Status.NOT_APPROVED],
        target=Status.UNDER_ASSESSMENT,
    )
    def reassess(self) -> None:
        pass

    @transition(
        field=status,
        source=[Status.APPROVED, Status.CONDITIONALLY_APPROVED, Status.NOT_APPROVED],
        target=Status.EXPIRED,
    )
    def expire(self) -> None:
        pass


class Assessment(ConcurrentTransitionMixin, TimeStampedModel):
    """One SO's assessment of one case in one round (SPEC R1, R3–R6).

    Writers lock the case row first (select_for_update), then save the assessment, so two
    deciders and the sweep serialise per case; the status-filtered UPDATE of
    ConcurrentTransitionMixin refuses a stale copy.
    """

    class Status(models.TextChoices):
        PENDING = "pending", _("Pending")
        INCOMPLETE = "incomplete", _("Incomplete: waiting for information")
        APPROVED = "approved", _("Approved")
        CONDITIONALLY_APPROVED = "conditionally_approved", _("Conditionally approved")
        NOT_APPROVED = "not_approved", _("Not approved")
        APPROVED_BY_SILENCE = "approved_by_silence", _("Approved by silence")
        CANCELLED = "cancelled", _("Cancelled")

    OPEN = (Status.PENDING, Status.INCOMPLETE)
    DECIDED = (
        Status.APPROVED, Status.CONDITIONALLY_APPROVED, Status.NOT_APPROVED,
        Status.APPROVED_BY_SILENCE,
    )

    case = models.ForeignKey(Case, models.PROTECT, related_name="assessments")
    round = models.PositiveSmallIntegerField(_("round"), default=1)
    system_operator = models.ForeignKey(
        SystemOperator, models.PROTECT, related_name="assessments", verbose_name=_("system operator")
    )
    # Why this SO assesses (observability.resolver.Reason values) and which area versions.
    reasons = models.JSONField(_("reasons"), default=list)
    # The SO connects one of the case's points ("connecting" in reasons), as a column: the SO
    # queue's connecting-SO filter reads it through the partial index assessment_connecting.
    connects = models.BooleanField(_("connects a point of the case"), default=False, db_default=False)
    area_version_ids = models.JSONField(default=list, blank=True)
    status = FSMField(
        _("status"), max_length=24, choices=Status.choices, default=Status.PENDING, protected=True
    )
    # The deadline (UTC). Null while the clock is stopped (R3); kept after the decision for
    # reports. Only pending rows are swept (see the partial index).
    deadline = models.DateTimeField(_("deadline"), null=True, blank=True)
    deadline_rule = models.ForeignKey(
        DeadlineRule, models.PROTECT, null=True, blank=True, related_name="assessments",
        verbose_name=_("deadline rule"),
    )
    clock_started_at = models.DateTimeField(null=True, blank=True)
    incomplete_declared_at = models.DateTimeField(null=True, blank=True)
    missing_information = models.TextField(_("missing information"), blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, models.PROTECT, null=True, blank=True, related_name="+"
    )
    decided_at = models.DateTimeField(_("decided at"), null=True, blank=True)
    reason = models.TextField(_("reason"), blank=True)
    justification = models.TextField(_("justification"), blank=True)
    limits_explanation = models.TextField(
        _("why temporary limits cannot resolve the issue"), blank=True
    )

    class Meta:
        ordering = ["case_id", "round", "system_operator_id"]
        constraints = [
            models.UniqueConstraint(
                fields=["case", "system_operator", "round"], name="assessment_unique_per_round"
            ),
        ]
        indexes = [
            # Running clocks only, in the sweep's keyset order (deadline, id). Read by
            # deadlines_sweep() (silence and reminders).
            # The queue's connecting-SO filter: the cases whose points this SO connects.
            models.Index(
                fields=["system_operator", "case"], name="assessment_connecting",
                condition=models.Q(connects=True),
            ),
            models.Index(
                fields=["deadline", "id"], name="assessment_deadline_open",
                condition=models.Q(status="pending", deadline__isnull=False),
            ),
            # The SO queue (prequal.selectors.cases.assessment_queue_for_user): one operator's
            # open assessments in the page's order (deadline, nulls last, then id), so the first
            # 50 rows come straight off the index.
            models.Index(
                fields=["system_operator", "deadline", "id"], name="assessment_queue_open",
                condition=models.Q(status__in=["pending", "incomplete"]),
            ),
            # The annual report (reports.selectors): an operator's decisions in a year.
            models.Index(
                fields=["system_operator", "decided_at"], name="assessment_decided",
                condition=models.Q(
                    status__in=["approved", "conditionally_approved", "not_approved", "approved_by_silence"]
                ),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.system_operator} on case #{self.case_id}"

    @property
    def is_open(self) -> bool:
        return self.status in self.OPEN

    @property
    def is_decided(self) -> bool:
        return self.status in self.DECIDED

    def may_decide(self, *, engineer_org_ids) -> bool:
        """An engineer of the assessing SO may decide now: the decision transitions' guard (R6).

        `engineer_org_ids`: the organisations the user is an SO engineer of.
        """
        return self.system_operator.organisation_id in engineer_org_ids and can_proceed(self.approve)

    @transition(field=status, source=Status.PENDING, target=Status.INCOMPLETE)
    def declare_incomplete(self) -> None:
        pass

    @transition(field=status, source=Status.INCOMPLETE, target=Status.PENDING)
    def resume(self) -> None:
        pass

    @transition(field=status, source=Status.PENDING, target=Status.APPROVED)
    def approve(self) -> None:
        pass

    @transition(field=status, source=Status.PENDING, target=Status.CONDITIONALLY_APPROVED)
    def approve_with_conditions(self) -> None:
        pass

    @transition(field=status, source=Status.PENDING, target=Status.NOT_APPROVED)
    def refuse(self) -> None:
        pass

    @transition(field=status, source=Status.PENDING, target=Status.APPROVED_BY_SILENCE)
    def apply_silence(self) -> None:
        pass

    @transition(field=status, source=[Status.PENDING, Status.INCOMPLETE], target=Status.CANCELLED)
    def cancel(self) -> None:
        pass


def _validate_int_list(value, *, low: int, high: int, label: str) -> None:
    if not isinstance(value, list) or not all(isinstance(v, int) and low <= v <= high for v in value):
        raise ValidationError(
            _("%(label)s must be a list of whole numbers from %(low)s to %(high)s.")
            % {"label": label, "low": low, "high": high}
        )


class Condition(TimeStampedModel):
    """A limit attached to a conditional approval (SPEC §2, R6, R10).

    Within its validity period and its time window (local time in `time_zone`, the SO's),
    activation is capped at `max_up_mw` / `max_down_mw`; an empty cap leaves that direction
    unlimited, both empty mean "not at all" in the window. Empty months/weekdays mean every
    month/day; no clock times mean the whole day. A window may cross midnight (22:00–06:00).
    """

    assessment = models.ForeignKey(Assessment, models.CASCADE, related_name="conditions")
    max_up_mw = models.DecimalField(
        _("maximum up (MW)"), max_digits=10, decimal_places=3, null=True, blank=True,
        validators=[MinValueValidator(0)],
    )
    max_down_mw = models.DecimalField(
        _("maximum down (MW)"), max_digits=10, decimal_places=3, null=True, blank=True,
        validators=[MinValueValidator(0)],
    )
    months = models.JSONField(_("months (1–12)"), default=list, blank=True)
    weekdays = models.JSONField(_("weekdays (0 = Monday … 6 = Sunday)"), default=list, blank=True)
    start_time = models.TimeField(_("from (local time)"), null=True, blank=True)
    end_time = models.TimeField(_("until (local time)"), null=True, blank=True)
    time_zone = models.CharField(_("time zone"), max_length=64, default="Europe/Stockholm")
    valid_from = models.DateTimeField(_("valid from"), null=True, blank=True)
    valid_to = models.DateTimeField(_("valid to"), null=True, blank=True)
    note = models.CharField(_("note"), max_length=500, blank=True)

    class Meta:
        ordering = ["assessment_id", "pk"]

    def __str__(self) -> str:
        return self.describe()

    def clean(self) -> None:
        errors = {}
        for name, low, high, label in (("months", 1, 12, _("Months")), ("weekdays", 0, 6, _("Weekdays"))):
            try:
                _validate_int_list(getattr(self, name), low=low, high=high, label=label)
            except ValidationError as exc:
                errors[name] = exc.messages
        if (self.start_time is None) != (self.end_time is None):
            errors["end_time"] = _("Give both clock times of the window, or neither.")
        elif self.start_time is not None and self.start_time == self.end_time:
            errors["end_time"] = _("The window must not start and end at the same time.")
        if self.valid_from and self.valid_to and self.valid_to <= self.valid_from:
            errors["valid_to"] = _("The validity must end after it starts.")
        has_window = bool(self.months or self.weekdays or self.start_time is not None)
        if self.max_up_mw is None and self.max_down_mw is None and not has_window:
            errors["max_up_mw"] = _(
                "A condition needs a cap (MW, per direction) or a time window; "
                "one with neither would be a refusal."
            )
        try:
            validate_time_zone(self.time_zone)
        except ValidationError as exc:
            errors["time_zone"] = exc.messages
        if errors:
            raise ValidationError(errors)

    def applies_at(self, at: datetime) -> bool:
        """Whether the condition binds at the instant `at` (aware), judged in local time."""
        if self.valid_from and at < self.valid_from:
            return False
        if self.valid_to and at >= self.valid_to:
            return False
        local = at.astimezone(zoneinfo.ZoneInfo(self.time_zone))
        if self.months and local.month not in self.months:
            return False
        if self.start_time is None:
            return not self.weekdays or local.weekday() in self.weekdays
        clock = local.time().replace(tzinfo=None)
        if self.start_time < self.end_time:
            inside = self.start_time <= clock < self.end_time
            day = local.weekday()
        else:  # crosses midnight: the early part belongs to the previous day's window
            inside = clock >= self.start_time or clock < self.end_time
            day = local.weekday() if clock >= self.start_time else (local.weekday() - 1) % 7
        return inside and (not self.weekdays or day in self.weekdays)

    def describe(self) -> str:
        """A one-line human summary, e.g. "up ≤ 2 MW, Dec–Feb, Mon–Fri 07:00–09:00"."""
        parts = []
        if self.max_up_mw is None and self.max_down_mw is None:
            parts.append(str(_("not allowed")))
        if self.max_up_mw is not None:
            parts.append(str(_("up ≤ %(mw)s MW")) % {"mw": self.max_up_mw.normalize()})
        if self.max_down_mw is not None:
            parts.append(str(_("down ≤ %(mw)s MW")) % {"mw": self.max_down_mw.normalize()})
        if self.months:
            parts.append(", ".join(calendar.month_abbr[m] for m in sorted(self.months)))
        if self.weekdays:
            parts.append(", ".join(calendar.day_abbr[d] for d in sorted(self.weekdays)))
        if self.start_time is not None:
            parts.append(f"{self.start_time:%H:%M}–{self.end_time:%H:%M} ({self.time_zone})")
        return "; ".join(parts)


class ImmutableRecordError(Exception):
    """Raised on any attempt to change or delete an audit row."""


class CaseEventQuerySet(models.QuerySet):
    def update(self, **kwargs):
        raise ImmutableRecordError(_("The audit trail cannot be changed."))

    def delete(self):
        raise ImmutableRecordError(_("The audit trail cannot be deleted."))


class CaseEvent(models.Model):
    """One row per transition of a case or an assessment: the audit trail (SPEC R2).

    Immutable: saving an existing row, deleting, or a queryset update/delete raise.
    `actor` is the person; when it is empty, `via` says whether the deadline sweep or the
    system acted.
    """

    class Via(models.TextChoices):
        USER = "user", _("Person")
        DEADLINE = "deadline", _("Deadline")
        SYSTEM = "system", _("System")

    case = models.ForeignKey(Case, models.PROTECT, related_name="events")
    assessment = models.ForeignKey(
        Assessment, models.PROTECT, null=True, blank=True, related_name="events"
    )
    at = models.DateTimeField(_("at"), default=timezone.now)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, models.PROTECT, null=True, blank=True, related_name="+"
    )
    via = models.CharField(_("by"), max_length=10, choices=Via.choices, default=Via.USER)
    # What happened: the transition or service step, e.g. "submit", "apply_silence",
    # "supply_information", "reassess". Read by notifications and the timeline.
    action = models.CharField(_("action"), max_length=32, blank=True)
    from_state = models.CharField(_("from"), max_length=24, blank=True)
    to_state = models.CharField(_("to"), max_length=24)
    reason = models.TextField(_("reason"), blank=True)

    objects = CaseEventQuerySet.as_manager()

    class Meta:
        ordering = ["at", "pk"]
        indexes = [models.Index(fields=["case", "at"], name="case_event_case_at")]

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M} {self.from_state} → {self.to_state}"

    def save(self, *args, **kwargs) -> None:
        if not self._state.adding:
            raise ImmutableRecordError(_("The audit trail cannot be changed."))
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise ImmutableRecordError(_("The audit trail cannot be deleted."))

    @property
    def actor_label(self) -> str:
        if self.actor_id:
            return self.actor.get_full_name() or self.actor.username
        return str(self.get_via_display())


class AssessmentReminder(models.Model):
    """A deadline reminder that was sent; the unique key makes each one go out once."""

    assessment = models.ForeignKey(Assessment, models.CASCADE, related_name="reminders")
    deadline = models.DateTimeField()
    days_before = models.PositiveSmallIntegerField()
    sent_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["assessment", "deadline", "days_before"], name="reminder_once"
            )
        ]

    def __str__(self) -> str:
        return f"{self.days_before} days before {self.deadline:%Y-%m-%d %H:%M} ({self.assessment_id})"
