"""Grid prequalification cases and their lifecycle (SPEC R2): states, transitions, rights."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _
from django_fsm import ConcurrentTransitionMixin, FSMField, can_proceed, transition

from common.models import TimeStampedModel
from prequal.models.resources import Fsp, Product, Spg, Spu


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
            # "Information requested from you" (the FSP's dashboard, case_list_for_user's
            # waiting filter): the few cases waiting, not every case of the FSP.
            models.Index(
                fields=["fsp"], name="case_fsp_waiting",
                condition=models.Q(information_requested_at__isnull=False),
            ),
            # Applications newest first (prequal.selectors.cases.case_list_for_user): an FSP's,
            # and every case an SO or the NRA reads (walked in order, first 50 rows).
            models.Index(fields=["fsp", "created_at", "id"], name="case_fsp_created"),
            models.Index(fields=["created_at", "id"], name="case_created"),
            # The SO queue filtered by product: a product's case ids from the index alone,
            # joined to the operator's open assessments (assessment_open_cases).
            models.Index(fields=["product", "id"], name="case_product"),
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

    @property
    def is_submitted(self) -> bool:
        """Past the draft: operators see the case, and limits and activation checks concern it."""
        return self.status != self.Status.DRAFT

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
