"""The decisions' rollup: per assessing operator, local month and outcome, how many decisions."""

from __future__ import annotations

import zoneinfo

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from observability.models import SystemOperator

# The zone a decision's month (and so its year) is counted in: the regulator's (Sweden by
# default). The annual report counts its years in it too (reports.selectors.REPORT_TIME_ZONE).
DECISION_TIME_ZONE = zoneinfo.ZoneInfo(settings.TIME_ZONE)


class DecisionRollup(models.Model):
    """Per assessing operator, month of the decision (its first day, in DECISION_TIME_ZONE) and
    outcome, the number of decided assessments (any round): the annual report's decision counts
    (reports.selectors.report_decisions) summed ahead. Kept by the decision services in the
    decision's transaction (prequal.services.decision_rollup); a decided assessment never
    changes again, so the counts only grow. The NRA's dashboard reads at most operators × 24
    months × 4 outcomes rows of it (7,908 in all at the full reference scale, for 523,010
    decisions), whatever the number of decisions."""

    system_operator = models.ForeignKey(
        SystemOperator, models.PROTECT, related_name="+", verbose_name=_("system operator")
    )
    month = models.DateField(_("month"))
    status = models.CharField(_("outcome"), max_length=24)
    # Added to in one statement by concurrent writers (INSERT … ON CONFLICT DO UPDATE).
    decisions = models.BigIntegerField(_("decisions"), default=0)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        ordering = ["month", "system_operator", "status"]
        constraints = [
            models.UniqueConstraint(fields=["system_operator", "month", "status"], name="decision_rollup_key")
        ]
        indexes = [models.Index(fields=["month", "system_operator"], name="decision_rollup_month")]

    def __str__(self) -> str:
        return f"{self.month:%Y-%m} {self.status} ({self.decisions})"
