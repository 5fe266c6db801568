"""Drafts (FSP): create, edit, delete and preview a case before it is submitted."""

from __future__ import annotations

from datetime import datetime

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from common.exceptions import ApplicationError
from prequal.models import Case, Fsp, Product, Spg, Spu
from prequal.services.cases._common import (
    AssessmentPlan,
    _check_resource,
    _lock_case,
    _plan,
    _require_fsp_member,
    _save,
)


@transaction.atomic
def case_create_draft(
    *, user, product: Product, spu: Spu | None = None, spg: Spg | None = None, fsp: Fsp | None = None
) -> Case:
    """A draft application of one SPU or one SPG for one product. Nothing is sent yet."""
    from prequal.services.resources import fsp_for_user

    fsp = fsp_for_user(user=user, fsp=fsp or getattr(spu or spg, "fsp", None))
    _check_resource(fsp=fsp, spu=spu, spg=spg, product=product)
    case = Case(fsp=fsp, spu=spu, spg=spg, product=product, created_by=user)
    case.full_clean(exclude=["status"])
    case.save()
    return case


_UNSET = object()


@transaction.atomic
def case_update_draft(*, user, case: Case, product=_UNSET, spu=_UNSET, spg=_UNSET) -> Case:
    """Change a draft's resource or product. Only drafts can be edited."""
    _require_fsp_member(user=user, case=case)
    case = _lock_case(case=case)
    if case.status != Case.Status.DRAFT:
        raise ApplicationError(
            _("Only a draft can be edited; this case is %(status)s.")
            % {"status": case.get_status_display().lower()}
        )
    if spu is not _UNSET or spg is not _UNSET:
        case.spu = None if spu is _UNSET else spu
        case.spg = None if spg is _UNSET else spg
    if product is not _UNSET:
        case.product = product
    _check_resource(fsp=case.fsp, spu=case.spu, spg=case.spg, product=case.product, exclude_case=case)
    _save(case, "spu", "spg", "product")
    return case


@transaction.atomic
def case_delete_draft(*, user, case: Case) -> None:
    _require_fsp_member(user=user, case=case)
    case = _lock_case(case=case)
    if case.status != Case.Status.DRAFT:
        raise ApplicationError(_("Only a draft can be deleted; withdraw a submitted case instead."))
    case.delete()


def case_preview_assessing_sos(*, case: Case, at: datetime | None = None) -> list[AssessmentPlan]:
    """Who would assess the case and by when if it were submitted at `at` (now). Writes nothing."""
    return _plan(case=case, start=at or timezone.now())
