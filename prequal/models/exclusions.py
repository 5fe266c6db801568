"""Members an approval leaves out: an SPG approved except named members (issue "parts of an SPG").

An assessing SO may approve a group except some of its members (their connection points are
where its grid cannot take them). Those members do not count toward the group's capacity while
that outcome holds (the activation check, limits.activation); the rest of the group is
prequalified. The case's exclusions are the union over its round's assessments, like its
conditions (R5).
"""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

from prequal.models.assessments import Assessment
from prequal.models.resources import Spu


class ExcludedMember(models.Model):
    assessment = models.ForeignKey(Assessment, models.CASCADE, related_name="excluded_members")
    spu = models.ForeignKey(Spu, models.PROTECT, related_name="+", verbose_name=_("member SPU"))

    class Meta:
        ordering = ["assessment_id", "spu_id"]
        verbose_name = _("member left out of an approval")
        constraints = [
            models.UniqueConstraint(fields=["assessment", "spu"], name="excluded_member_once"),
        ]

    def __str__(self) -> str:
        return f"{self.spu_id} excluded by assessment {self.assessment_id}"
