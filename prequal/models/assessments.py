"""One SO's assessment of a case (SPEC R1, R3–R6) and the reminders sent before its deadline."""

from __future__ import annotations

from datetime import datetime

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django_fsm import ConcurrentTransitionMixin, FSMField, can_proceed, transition

from common.models import TimeStampedModel
from common.text import JUSTIFICATION_MAX_LENGTH, bounded_text_field
from observability.models import SystemOperator
from prequal.models.cases import Case
from prequal.models.deadlines import DeadlineRule


def before_deadline(assessment: Assessment, at: datetime | None = None) -> bool:
    """R4: from its deadline on an assessment is approved by silence, whether or not the sweep
    has run yet; no SO may decide it or declare it incomplete any more. `at`: now by default."""
    return assessment.deadline is None or (at or timezone.now()) < assessment.deadline


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
    missing_information = bounded_text_field(
        _("missing information"), blank=True, max_length=JUSTIFICATION_MAX_LENGTH
    )
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, models.PROTECT, null=True, blank=True, related_name="+"
    )
    decided_at = models.DateTimeField(_("decided at"), null=True, blank=True)
    reason = bounded_text_field(_("reason"), blank=True, max_length=JUSTIFICATION_MAX_LENGTH)
    justification = bounded_text_field(_("justification"), blank=True, max_length=JUSTIFICATION_MAX_LENGTH)
    limits_explanation = bounded_text_field(
        _("why temporary limits cannot resolve the issue"), blank=True, max_length=JUSTIFICATION_MAX_LENGTH
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
            # The queue's count and its product and status filters: an operator's open
            # assessments with their cases, read from the index alone (no heap visit per row).
            models.Index(
                fields=["system_operator", "status", "case"], name="assessment_open_cases",
                condition=models.Q(status__in=["pending", "incomplete"]),
            ),
            # The SO dashboard's queue figures (dashboards.selectors_so): an operator's open
            # assessments counted by deadline, round and completeness from the index alone
            # (PostgreSQL; the TSO's 23,000 at the reference scale: 12,800 heap pages without it).
            models.Index(
                fields=["system_operator", "status"], name="assessment_open_figures",
                include=["deadline", "round", "incomplete_declared_at", "id"],
                condition=models.Q(status__in=["pending", "incomplete"]),
            ),
            # The annual report (reports.selectors): an operator's decisions in a year.
            models.Index(
                fields=["system_operator", "decided_at"], name="assessment_decided",
                condition=models.Q(
                    status__in=["approved", "conditionally_approved", "not_approved", "approved_by_silence"]
                ),
            ),
            # The FSP's dashboard (dashboards.selectors_fsp): the decisions of a month across all
            # operators, then kept for the FSP's cases; without it the read scans every assessment.
            # Case and outcome carried in the index (PostgreSQL): the month's ~50,000 decisions at
            # the reference scale are counted from the index alone, not 15,000 heap pages.
            models.Index(
                fields=["decided_at"], name="assessment_decided_figures", include=["case", "status"],
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

    @transition(field=status, source=Status.PENDING, target=Status.INCOMPLETE, conditions=[before_deadline])
    def declare_incomplete(self) -> None:
        pass

    @transition(field=status, source=Status.INCOMPLETE, target=Status.PENDING)
    def resume(self) -> None:
        pass

    @transition(field=status, source=Status.PENDING, target=Status.APPROVED, conditions=[before_deadline])
    def approve(self) -> None:
        pass

    @transition(
        field=status, source=Status.PENDING, target=Status.CONDITIONALLY_APPROVED,
        conditions=[before_deadline],
    )
    def approve_with_conditions(self) -> None:
        pass

    @transition(field=status, source=Status.PENDING, target=Status.NOT_APPROVED, conditions=[before_deadline])
    def refuse(self) -> None:
        pass

    @transition(field=status, source=Status.PENDING, target=Status.APPROVED_BY_SILENCE)
    def apply_silence(self) -> None:
        pass

    @transition(field=status, source=[Status.PENDING, Status.INCOMPLETE], target=Status.CANCELLED)
    def cancel(self) -> None:
        pass


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
