"""For whom an FSP user writes through the API: shared by the SPU, SPG and case endpoints."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied, ValidationError
from django.utils.translation import gettext as _

from prequal.models import Fsp
from prequal.selectors.resources import fsps_for_user
from prequal.services.resources import fsp_for_user


def fsp_acting(*, user, fsp_eic: str | None) -> Fsp:
    """The FSP a write is made for: the user's only FSP, or the one named by `fsp_eic`."""
    fsp = None
    if fsp_eic:
        fsp = fsps_for_user(user=user).filter(organisation__eic_code=fsp_eic).first()
        if fsp is None:
            raise ValidationError(
                {"fsp_eic": _("You do not act for an FSP with the EIC code %(eic)s.") % {"eic": fsp_eic}}
            )
    return fsp_for_user(user=user, fsp=fsp)


def require_some_fsp(*, user) -> None:
    """Refuse writes by users who act for no FSP before looking at their input (403, not 400)."""
    if not fsps_for_user(user=user).exists():
        raise PermissionDenied
