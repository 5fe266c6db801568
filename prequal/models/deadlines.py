"""Deadline rules: how long an SO has to assess, on what legal basis (SPEC R4)."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext_lazy as _

from common.models import TimeStampedModel
from prequal.models.resources import Product


def default_reminder_days() -> list[int]:
    return [7, 1]


class DeadlineRule(TimeStampedModel):
    """How long an SO has to assess, and on what legal basis (SPEC R4). Data, edited in the admin.

    Versioned by `valid_from`: the rule in force for the assessing SO's country and the product's
    kind when the case is submitted applies, and each assessment keeps a reference to it. An
    empty jurisdiction is the fallback for every country without a rule of its own; an empty
    kind of product, for every kind without one (e.g. reserves cite SO GL Art. 182(3), a
    country's local congestion products a rule of its own).
    """

    jurisdiction = models.CharField(
        _("jurisdiction"), max_length=2, blank=True,
        help_text=_("ISO country code of the assessing SO (e.g. SE); empty applies to every country."),
    )
    product_kind = models.CharField(
        _("kind of product"), max_length=12, choices=Product.Kind.choices, blank=True,
        help_text=_("Reserves and local services may cite different law; empty applies to every kind."),
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
        ordering = ["jurisdiction", "product_kind", "-valid_from"]
        constraints = [
            models.UniqueConstraint(
                fields=["jurisdiction", "product_kind", "valid_from"], name="deadline_rule_unique_version"
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
