"""Every write to FSP resources goes through here (forms, API and imports alike)."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from accounts.selectors import user_roles
from common.exceptions import ApplicationError
from observability.geo import WGS84
from observability.models import ConnectionPoint, SystemOperator
from observability.services import connection_point_get_or_create
from prequal.models import Fsp, Spg, SpgMembership, Spu
from prequal.models.texts import Text, label
from prequal.selectors.resources import connection_points_foreign, fsps_for_user
from prequal.services.cases import resource_material_change  # workflow hook (R2)
from prequal.services.readers import resource_readers_refresh
from prequal.signals import memberships_changed, units_moved

# Workflow hook (R2): changes to these send the SPU's decided cases back to assessment.
MATERIAL_SPU_FIELDS = ("connection_point", "max_up_kw", "max_down_kw")
SPU_EDITABLE = ("name", "technology", "max_up_kw", "max_down_kw", "connection_point")
SPG_EDITABLE = ("name",)


def fsp_for_user(*, user, fsp: Fsp | None = None) -> Fsp:
    """The FSP the user acts for. A user of several FSPs must say which."""
    own = list(fsps_for_user(user=user))
    if fsp is not None:
        if fsp.pk not in {f.pk for f in own}:
            raise PermissionDenied
        return fsp
    if not own:
        raise PermissionDenied
    if len(own) > 1:
        raise ValidationError({"fsp": _("You act for several FSPs: choose one.")})
    return own[0]


def connection_point_refused_message(*, gsrn: str) -> str:
    """Why an FSP may not attach a unit to a point of another FSP. It names no one and reads the
    same whoever the owner is (read by the SPU form, API and the CSV import)."""
    return _(
        "You cannot register units at connection point %(gsrn)s: check the GSRN. If it is right, "
        "contact the connecting system operator."
    ) % {"gsrn": gsrn}


def _require_point_usable(*, fsp: Fsp, point: ConnectionPoint, field: str) -> None:
    if connection_points_foreign(fsp_id=fsp.pk, point_ids=[point.pk]):
        raise ValidationError({field: connection_point_refused_message(gsrn=point.gsrn)})


def _require_fsp_member(*, user, fsp_id: int) -> None:
    fsp_org_ids = user_roles(user=user).fsp_org_ids
    if not Fsp.objects.filter(pk=fsp_id, organisation_id__in=fsp_org_ids).exists():
        raise PermissionDenied


@transaction.atomic
def spu_create(
    *, user, fsp: Fsp, connection_point: ConnectionPoint, code: str, name: str, technology: str,
    max_up_kw: Decimal, max_down_kw: Decimal,
) -> Spu:
    _require_fsp_member(user=user, fsp_id=fsp.pk)
    spu = Spu(
        fsp=fsp, connection_point=connection_point, code=code, name=name, technology=technology,
        max_up_kw=max_up_kw, max_down_kw=max_down_kw,
    )
    spu.full_clean()
    spu.save()
    resource_readers_refresh(spu_ids=[spu.pk])  # its connecting SO reads it (SPEC §4)
    return spu


@transaction.atomic
def spu_register(
    *, user, fsp: Fsp, gsrn: str, code: str, name: str, technology: str,
    max_up_kw: Decimal, max_down_kw: Decimal, connecting_so: SystemOperator | None = None,
    x: float | None = None, y: float | None = None, epsg: int = WGS84,
    voltage_level: str | None = None, bidding_zone: str | None = None,
    confirm_outside_area: bool = False, outside_area_reason: str = "",
) -> Spu:
    """Register an SPU at the connection point `gsrn`, registering the point first if it is new.

    All-or-nothing: when the SPU is refused, a point registered for it is rolled back too.
    Errors of the point and of the unit are reported together, keyed by field
    (`latitude`/`longitude` for a location outside the CRS's range; `confirm_outside_area` for
    one outside the operator's observability area, which the user may confirm with a reason).
    """
    _require_fsp_member(user=user, fsp_id=fsp.pk)
    errors: dict = {}
    point = None
    existing = ConnectionPoint.objects.select_related("connecting_so").filter(gsrn=gsrn).first()
    if existing is not None:
        # Another FSP's point: refused before anything about the point is said.
        try:
            _require_point_usable(fsp=fsp, point=existing, field="gsrn")
        except ValidationError as exc:
            errors = exc.update_error_dict(errors)
        connecting_so = connecting_so or existing.connecting_so
    elif connecting_so is None:
        errors["connecting_so"] = [_(
            "Connection point %(gsrn)s is not registered yet: choose its connecting system operator."
        ) % {"gsrn": gsrn}]
    if connecting_so is not None and not errors:
        try:
            point = connection_point_get_or_create(
                gsrn=gsrn, connecting_so=connecting_so, x=x, y=y, epsg=epsg,
                voltage_level=voltage_level, bidding_zone=bidding_zone, user=user,
                confirm_outside_area=confirm_outside_area, outside_area_reason=outside_area_reason,
            )
        except ValidationError as exc:
            errors = exc.update_error_dict(errors)
    if Spu.objects.filter(fsp=fsp, code=code).exists():
        errors.setdefault("code", []).append(
            _("%(fsp)s already has an SPU with the code %(code)s.") % {"fsp": fsp, "code": code}
        )
    spu = Spu(
        fsp=fsp, connection_point=point, code=code, name=name, technology=technology,
        max_up_kw=max_up_kw, max_down_kw=max_down_kw,
    )
    try:
        spu.full_clean(exclude=["connection_point"] if point is None else None,
                       validate_constraints=not errors)
    except ValidationError as exc:
        errors = exc.update_error_dict(errors)
    if errors:
        raise ValidationError(errors)
    return spu_create(
        user=user, fsp=fsp, connection_point=point, code=code, name=name, technology=technology,
        max_up_kw=max_up_kw, max_down_kw=max_down_kw,
    )


@transaction.atomic
def spu_update(*, user, spu: Spu, **changes) -> Spu:
    """Change an SPU's editable fields. Unknown fields are refused, not ignored."""
    _require_fsp_member(user=user, fsp_id=spu.fsp_id)
    unknown = set(changes) - set(SPU_EDITABLE)
    if unknown:
        raise ValidationError({f: _("This field cannot be changed.") for f in sorted(unknown)})
    spu = Spu.objects.select_for_update().get(pk=spu.pk)
    if not spu.is_active:
        raise ApplicationError(_("The SPU is deactivated; it cannot be changed."))
    # Workflow hook (R2): note what changes materially before applying the changes.
    material = [f for f in MATERIAL_SPU_FIELDS if f in changes and getattr(spu, f) != changes[f]]
    if "connection_point" in changes and changes["connection_point"].pk != spu.connection_point_id:
        _require_point_usable(fsp=spu.fsp, point=changes["connection_point"], field="connection_point")
    former_point_id = spu.connection_point_id
    for field, value in changes.items():
        setattr(spu, field, value)
    spu.full_clean()
    if "connection_point" in changes:
        _check_memberships_fit(spu=spu)
    spu.save()
    if "connection_point" in changes:  # read by the new point's SO, and so are its groups
        resource_readers_refresh(
            spu_ids=[spu.pk], spg_ids=_spg_ids_of(spu_ids=[spu.pk]), former_point_ids=[former_point_id]
        )
        if spu.connection_point_id != former_point_id:
            units_moved.send(sender=Spu, spu_ids={spu.pk})
    if material:  # Workflow hook (R2): decided cases go back to assessment.
        resource_material_change(user=user, spu=spu, reason=Text(
            gettext_noop("%(spu)s changed: %(fields)s."),
            spu=spu.code, fields=[label(Spu._meta.get_field(f).verbose_name) for f in material]))
    return spu


def _check_memberships_fit(*, spu: Spu) -> None:
    now = timezone.now()
    for membership in spu.spg_memberships.select_related("spg").filter(
        valid_to__isnull=True
    ) | spu.spg_memberships.select_related("spg").filter(valid_to__gt=now):
        if membership.spg.bidding_zone != spu.connection_point.bidding_zone:
            raise ValidationError({"connection_point": _(
                "The SPU is a member of %(spg)s in bidding zone %(zone)s; "
                "end that membership before moving it."
            ) % {"spg": membership.spg, "zone": membership.spg.bidding_zone}})


@transaction.atomic
def spu_deactivate(*, user, spu: Spu) -> Spu:
    """Deactivate the SPU and end its current group memberships now."""
    _require_fsp_member(user=user, fsp_id=spu.fsp_id)
    spu = Spu.objects.select_for_update().get(pk=spu.pk)
    if not spu.is_active:
        return spu
    now = timezone.now()
    spu.is_active = False
    spu.deactivated_at = now
    spu.save(update_fields=["is_active", "deactivated_at", "updated_at"])
    _end_memberships(memberships=spu.spg_memberships.all(), at=now)
    resource_readers_refresh(spu_ids=[spu.pk])  # the rows' copy of is_active
    return spu


def _spg_ids_of(*, spu_ids) -> list[int]:
    return list(SpgMembership.objects.filter(spu_id__in=spu_ids).values_list("spg_id", flat=True).distinct())


def _end_memberships(*, memberships, at: datetime) -> None:
    # Memberships that have not started yet are removed (and with them what they let SOs read);
    # running ones end now.
    removed = list(memberships.filter(valid_from__gte=at).values_list("spu_id", "spg_id"))
    memberships.filter(valid_from__gte=at).delete()
    if removed:
        spu_ids, spg_ids = zip(*removed, strict=True)
        resource_readers_refresh(spu_ids=set(spu_ids), spg_ids=set(spg_ids))
    changed = {spg_id for _spu_id, spg_id in removed}
    for membership in memberships.filter(valid_from__lt=at).exclude(valid_to__lte=at):
        membership.valid_to = at
        membership.save(update_fields=["valid_to", "updated_at"])
        changed.add(membership.spg_id)
    if changed:
        memberships_changed.send(sender=SpgMembership, spg_ids=changed)


@transaction.atomic
def spg_create(*, user, fsp: Fsp, code: str, name: str, bidding_zone: str) -> Spg:
    _require_fsp_member(user=user, fsp_id=fsp.pk)
    spg = Spg(fsp=fsp, code=code, name=name, bidding_zone=bidding_zone)
    spg.full_clean()
    spg.save()
    return spg


@transaction.atomic
def spg_update(*, user, spg: Spg, **changes) -> Spg:
    _require_fsp_member(user=user, fsp_id=spg.fsp_id)
    unknown = set(changes) - set(SPG_EDITABLE)
    if unknown:
        raise ValidationError({f: _("This field cannot be changed.") for f in sorted(unknown)})
    spg = Spg.objects.select_for_update().get(pk=spg.pk)
    if not spg.is_active:
        raise ApplicationError(_("The SPG is deactivated; it cannot be changed."))
    for field, value in changes.items():
        setattr(spg, field, value)
    spg.full_clean()
    spg.save()
    return spg


@transaction.atomic
def spg_deactivate(*, user, spg: Spg) -> Spg:
    _require_fsp_member(user=user, fsp_id=spg.fsp_id)
    spg = Spg.objects.select_for_update().get(pk=spg.pk)
    if not spg.is_active:
        return spg
    now = timezone.now()
    spg.is_active = False
    spg.deactivated_at = now
    spg.save(update_fields=["is_active", "deactivated_at", "updated_at"])
    _end_memberships(memberships=spg.memberships.all(), at=now)
    return spg


@transaction.atomic
def spg_member_add(
    *, user, spg: Spg, spu: Spu, valid_from: datetime | None = None,
    valid_to: datetime | None = None,
) -> SpgMembership:
    """Add the SPU to the group for a period (from now, open-ended, by default)."""
    _require_fsp_member(user=user, fsp_id=spg.fsp_id)
    spg = Spg.objects.select_for_update().get(pk=spg.pk)
    if not spg.is_active:
        raise ApplicationError(_("The SPG is deactivated; it cannot take members."))
    if not spu.is_active:
        raise ValidationError({"spu": _("The SPU is deactivated.")})
    membership = SpgMembership(
        spg=spg, spu=spu, valid_from=valid_from or timezone.now(), valid_to=valid_to
    )
    membership.full_clean()
    membership.save()
    resource_readers_refresh(spu_ids=[spu.pk], spg_ids=[spg.pk])  # SPEC §4, both ways
    memberships_changed.send(sender=SpgMembership, spg_ids={spg.pk})
    # Workflow hook (R2): a membership change is material for the group's cases.
    resource_material_change(user=user, spg=spg, reason=Text(
        gettext_noop("%(spu)s joined %(spg)s."), spu=spu.code, spg=spg.code))
    return membership


@transaction.atomic
def spg_member_end(*, user, membership: SpgMembership, at: datetime | None = None) -> SpgMembership:
    """End a membership at `at` (now by default)."""
    _require_fsp_member(user=user, fsp_id=membership.spg.fsp_id)
    at = at or timezone.now()
    membership = SpgMembership.objects.select_for_update().get(pk=membership.pk)
    if membership.valid_to is not None and membership.valid_to <= at:
        raise ValidationError({"valid_to": _("The membership has already ended.")})
    # Workflow hook (R2): a membership change is material for the group's cases.
    reason = Text(gettext_noop("%(spu)s left %(spg)s."), spu=membership.spu.code, spg=membership.spg.code)
    if at <= membership.valid_from:
        membership.delete()
        resource_readers_refresh(spu_ids=[membership.spu_id], spg_ids=[membership.spg_id])
        memberships_changed.send(sender=SpgMembership, spg_ids={membership.spg_id})
        resource_material_change(user=user, spg=membership.spg, reason=reason)
        return membership
    membership.valid_to = at
    membership.full_clean()
    membership.save(update_fields=["valid_to", "updated_at"])
    memberships_changed.send(sender=SpgMembership, spg_ids={membership.spg_id})
    resource_material_change(user=user, spg=membership.spg, reason=reason)
    return membership
