"""Scoped reads of attachments: readable by exactly those who may read the case (SPEC §4).

The case's scope is prequal's (prequal.selectors.cases.case_list_for_user): the owning FSP, the
SOs assessing it, the NRA. Anyone else gets 404, never 403.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import QuerySet
from django.shortcuts import get_object_or_404

from accounts.selectors import user_roles
from attachments.models import Attachment
from prequal.models import Assessment, Case
from prequal.selectors.cases import case_get_for_user, case_list_for_user


def attachment_list_for_case(*, case: Case) -> QuerySet[Attachment]:
    """The case's attachments, oldest first, with who uploaded them and for which operator."""
    return Attachment.objects.filter(case=case).select_related(
        "uploaded_by", "assessment__system_operator__organisation"
    )


def attachment_get_for_user(*, user, pk: int) -> Attachment:
    """The attachment if the user may read its case, else 404."""
    return get_object_or_404(
        Attachment.objects.select_related("case", "uploaded_by").filter(
            case__in=case_list_for_user(user=user).values("pk")
        ),
        pk=pk,
    )


@dataclass(frozen=True)
class AttachRights:
    """Who may attach what to a case: read by the case page, the forms and the service."""

    as_fsp: bool  # the owning FSP's user, on its application
    assessments: tuple[Assessment, ...]  # the user's engineers' assessments of the current round

    @property
    def any(self) -> bool:
        return self.as_fsp or bool(self.assessments)


def attach_rights(*, user, case: Case) -> AttachRights:
    roles = user_roles(user=user)
    assessments = ()
    if roles.so_engineer_org_ids:
        assessments = tuple(
            Assessment.objects.filter(
                case=case, round=case.round, system_operator__organisation_id__in=roles.so_engineer_org_ids
            ).select_related("system_operator__organisation").order_by("system_operator_id")
        )
    return AttachRights(as_fsp=case.fsp.organisation_id in roles.fsp_org_ids, assessments=assessments)


def case_for_attaching(*, user, pk: int) -> tuple[Case, AttachRights]:
    """The case (404 if unseen) and what the user may attach to it."""
    case = case_get_for_user(user=user, pk=pk)
    return case, attach_rights(user=user, case=case)
