"""Parts of an SPG: an approval that leaves named members out (prequal.models.exclusions).

Rule: an assessing SO may approve a group (with or without conditions) except some of its
current members; it says why (the decision's reason). It may not leave out every member (that
is a refusal), and a refusal covers the whole group. The members left out do not count toward
the group's capacity while the outcome holds; the activation check reads that
(limits.activation).
"""

from __future__ import annotations

from collections.abc import Sequence

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from prequal.models import Assessment, ExcludedMember
from prequal.selectors.cases import case_current_members


def exclusions_build(
    *, assessment: Assessment, outcome: str, spu_ids: Sequence, reason: str
) -> list[ExcludedMember]:
    """Unsaved exclusions for this decision; ValidationError on `excluded_members` (or `reason`)."""
    if not spu_ids:
        return []
    case = assessment.case
    if case.spg_id is None:
        raise ValidationError({"excluded_members": [_("Only members of a group can be left out.")]})
    if outcome == Assessment.Status.NOT_APPROVED:
        message = _("A refusal covers the whole group: leave members out only when approving.")
        raise ValidationError({"excluded_members": [message]})
    try:
        wanted = {int(spu_id) for spu_id in spu_ids}
    except (TypeError, ValueError):
        raise ValidationError({"excluded_members": [_("Give the ids of the member SPUs.")]}) from None
    members = set(case_current_members(case=case).values_list("pk", flat=True))
    strangers = sorted(wanted - members)
    if strangers:
        raise ValidationError(
            {
                "excluded_members": [
                    _("SPU #%(id)s is not a member of this group.") % {"id": spu_id} for spu_id in strangers
                ]
            }
        )
    if wanted >= members:
        raise ValidationError(
            {"excluded_members": [_("Leaving out every member refuses the group: refuse it instead.")]}
        )
    if not reason:
        raise ValidationError({"reason": [_("Say why the members are left out.")]})
    return [ExcludedMember(assessment=assessment, spu_id=spu_id) for spu_id in sorted(wanted)]
