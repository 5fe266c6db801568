"""Scoped reads of cases and assessments (SPEC §4). Outsiders get 404, never 403.

FSP users see their own organisation's cases (every assessment's status, conditions and
deadlines); SO engineers and viewers see the cases their operator assesses, including the
other operators' assessments on them; NRA analysts and admins see everything.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.core.exceptions import PermissionDenied
from django.db.models import Exists, F, OuterRef, Prefetch, Q, QuerySet
from django.shortcuts import get_object_or_404
from django.utils import timezone

from accounts.selectors import Roles, user_roles
from observability.selectors import user_operator_ids
from prequal.models import Assessment, Case, CaseEvent, Condition, ExcludedMember, Fsp, SpgMembership, Spu
from prequal.selectors.periods import DUE_SOON, DUE_WITHIN_7_DAYS, decided_bounds

# The queue's `attention` filter: what brings an open assessment back to the engineer.
ATTENTION_SUPPLIED = "supplied"  # the FSP supplied what this operator asked for (R3)
ATTENTION_REASSESSMENT = "reassessment"  # returned after a material change of the resource (R2)
# The case list's `waiting` filter: an operator waits for the FSP's information (R3).
WAITING_INFORMATION = "information"


def case_list_for_user(
    *,
    user,
    status: str | None = None,
    product: int | str | None = None,
    decided: str | None = None,
    outcome: str | None = None,
    operator: int | None = None,
    waiting: str | None = None,
) -> QuerySet[Case]:
    """The cases the user may read, newest first; filters by status and product (id or code).

    `decided` ("this-month", "30d", a year) and `outcome` (an assessment outcome) keep the cases
    with an assessment the user's side made or received in that period with that outcome
    (case_decided_q); `operator`: the cases that SO assesses; `waiting`: cases awaiting the
    FSP's information.
    """
    roles = user_roles(user=user)
    qs = Case.objects.select_related(
        "fsp__organisation", "product__procuring_so__organisation", "spu__connection_point", "spg"
    )
    if not roles.sees_everything:
        scope = Q(pk__in=[])
        if roles.is_fsp:
            # The FSPs' ids, not a join on their organisation: with `fsp_id = X` the newest
            # cases come in order off the index case_fsp_created (one small query more).
            fsp_ids = list(
                Fsp.objects.filter(organisation_id__in=roles.fsp_org_ids).values_list("pk", flat=True)
            )
            scope |= Q(fsp_id__in=fsp_ids)
        if roles.is_so:
            scope |= Q(
                Exists(
                    Assessment.objects.filter(
                        case=OuterRef("pk"), system_operator__organisation_id__in=roles.so_org_ids
                    )
                )
            )
        qs = qs.filter(scope)
    if not roles.is_fsp:
        qs = qs.exclude(status=Case.Status.DRAFT)  # drafts are the FSP's own business
    if status:
        qs = qs.filter(status=status)
    if product:
        qs = qs.filter(product__code=product) if not str(product).isdigit() else qs.filter(product_id=product)
    bounds = decided_bounds(decided)
    if bounds or outcome:
        qs = qs.filter(case_decided_q(roles=roles, bounds=bounds, outcome=outcome))
    if operator:
        qs = qs.filter(Exists(Assessment.objects.filter(case=OuterRef("pk"), system_operator_id=operator)))
    if waiting == WAITING_INFORMATION:
        qs = qs.filter(information_requested_at__isnull=False)
    return qs.order_by("-created_at", "-pk")


def own_assessments_q(*, roles: Roles, prefix: str = "") -> Q:
    """The assessments on the user's side: made by their operators or received on their FSPs'
    cases (everything for the NRA and admins). `prefix`: the path to the assessment."""
    if roles.sees_everything:
        return Q()
    return Q(**{f"{prefix}system_operator__organisation_id__in": roles.so_org_ids}) | Q(
        **{f"{prefix}case__fsp__organisation_id__in": roles.fsp_org_ids}
    )


def assessment_decided_q(*, bounds, outcome: str | None) -> Q:
    """Assessments decided in [start, end) (`bounds`, or any time) with `outcome` (or any)."""
    q = Q(status=outcome) if outcome else Q(status__in=Assessment.DECIDED)
    if bounds:
        q &= Q(decided_at__gte=bounds[0], decided_at__lt=bounds[1])
    return q


def case_decided_q(*, roles: Roles, bounds, outcome: str | None) -> Q:
    """Cases with an assessment on the user's side decided in `bounds` with `outcome`; the
    dashboards count the same assessments (their distinct cases)."""
    decided = Assessment.objects.filter(
        own_assessments_q(roles=roles), assessment_decided_q(bounds=bounds, outcome=outcome),
        case=OuterRef("pk"),
    )
    return Q(Exists(decided))


def case_get_for_user(*, user, pk: int) -> Case:
    return get_object_or_404(case_list_for_user(user=user), pk=pk)


@dataclass(frozen=True)
class CaseRights:
    """What the user may do with the case now: read by the case page, computed by the models'
    rights (next to the transition guards)."""

    is_owner: bool
    submit: bool  # and edit or delete the draft
    withdraw: bool
    supply_information: bool
    set_limit: bool  # on the case's resource (limits app)
    check_activation: bool  # of the case's resource for its product (limits app)


def case_get_with_rights_for_user(*, user, pk: int) -> tuple[Case, CaseRights]:
    """The case (or 404) and what the user may do with it now."""
    case = case_get_for_user(user=user, pk=pk)
    roles = user_roles(user=user)
    fsp_org_ids = roles.fsp_org_ids
    is_owner = case.fsp.organisation_id in fsp_org_ids
    return case, CaseRights(
        is_owner=is_owner,
        submit=case.may_submit(fsp_org_ids=fsp_org_ids),
        withdraw=case.may_withdraw(fsp_org_ids=fsp_org_ids),
        supply_information=case.may_supply_information(fsp_org_ids=fsp_org_ids),
        set_limit=case.is_submitted and roles.is_so_engineer,
        check_activation=case.is_submitted and (roles.is_so or is_owner),
    )


def case_fsp_get_for_user(*, user, pk: int) -> Case:
    """The case for an FSP action: 404 if unseen, PermissionDenied for read-only readers."""
    case = case_get_for_user(user=user, pk=pk)
    if case.fsp.organisation_id not in user_roles(user=user).fsp_org_ids:
        raise PermissionDenied
    return case


def _assessment_qs():
    return Assessment.objects.select_related(
        "system_operator__organisation", "deadline_rule", "decided_by"
    ).prefetch_related(
        Prefetch("conditions", queryset=Condition.objects.order_by("pk")),
        Prefetch("excluded_members", queryset=ExcludedMember.objects.select_related("spu")),
    )


def case_assessments(*, case: Case, user=None) -> list[Assessment]:
    """The assessments of the current round, by operator; with `user`, each with `can_decide`."""
    assessments = list(_assessment_qs().filter(case=case, round=case.round).order_by("system_operator_id"))
    if user is not None:
        assessments_add_rights(assessments=assessments, user=user)
    return assessments


def assessments_add_rights(*, assessments, user) -> None:
    """Set `can_decide` on each assessment: may the user decide it now (Assessment.may_decide)."""
    engineer_org_ids = user_roles(user=user).so_engineer_org_ids
    for assessment in assessments:
        assessment.can_decide = assessment.may_decide(engineer_org_ids=engineer_org_ids)


def case_previous_assessments(*, case: Case) -> list[Assessment]:
    """Assessments of earlier rounds (before a material change), newest round first."""
    return list(_assessment_qs().filter(case=case, round__lt=case.round).order_by("-round", "pk"))


def case_conditions(*, case: Case) -> list[Condition]:
    """R5: the union of the conditions of the current round."""
    return list(
        Condition.objects.filter(assessment__case=case, assessment__round=case.round)
        .select_related("assessment__system_operator__organisation")
        .order_by("assessment__system_operator_id", "pk")
    )


def case_excluded_members(*, case: Case) -> list[ExcludedMember]:
    """The group members the current round's approvals leave out (their union, like R5's
    conditions), each with its SPU and assessing operator."""
    return list(
        ExcludedMember.objects.filter(assessment__case=case, assessment__round=case.round)
        .select_related("spu", "assessment__system_operator__organisation")
        .order_by("spu__code", "assessment__system_operator_id")
    )


def case_current_members(*, case: Case) -> QuerySet[Spu]:
    """The SPUs of the case's group now (memberships not ended); none for an SPU's case."""
    if case.spg_id is None:
        return Spu.objects.none()
    member_of = SpgMembership.objects.filter(spg_id=case.spg_id).filter(
        Q(valid_to__isnull=True) | Q(valid_to__gt=timezone.now())
    )
    return Spu.objects.filter(pk__in=member_of.values("spu_id")).order_by("code")


def case_member_choices(*, case: Case) -> list[tuple[int, str]]:
    """(SPU id, "code – name") of the group's current members: what a decision may leave out."""
    return [(spu.pk, f"{spu.code} – {spu.name}") for spu in case_current_members(case=case)]


def case_timeline(*, case: Case) -> QuerySet[CaseEvent]:
    """Every audit event of the case, oldest first."""
    return CaseEvent.objects.filter(case=case).select_related(
        "actor", "assessment__system_operator__organisation"
    )


def assessment_list_for_user(*, user) -> QuerySet[Assessment]:
    """Assessments on the cases the user may read."""
    return _assessment_qs().filter(case__in=case_list_for_user(user=user).values("pk"))


def assessment_get_for_user(*, user, pk: int, write: bool = False) -> Assessment:
    """The assessment, or 404. With write=True only an engineer of its SO passes (else 403)."""
    assessment = get_object_or_404(
        assessment_list_for_user(user=user).select_related(
            "case__fsp__organisation", "case__product", "case__spu", "case__spg"
        ),
        pk=pk,
    )
    if write and assessment.system_operator.organisation_id not in user_roles(user=user).so_engineer_org_ids:
        raise PermissionDenied
    return assessment


def assessment_queue_for_user(
    *,
    user,
    product: int | str | None = None,
    status: str | None = None,
    connecting_so: int | None = None,
    due: str | None = None, overdue: bool = False, attention: str | None = None,  # queue_filter_q
) -> QuerySet[Assessment]:
    """The SO queue: the user's operators' open assessments, earliest deadline first.

    Stopped clocks (R3, deadline empty) come last. A constant number of queries whatever
    the size: everything a row shows is joined, conditions are prefetched.
    """
    # The operators' ids, not a join on their organisation: with `system_operator_id = X` the
    # page's rows come in order off the partial index assessment_queue_open (one small query
    # more, whatever the data size).
    operator_ids = sorted(user_operator_ids(user=user))
    qs = (
        Assessment.objects.filter(
            system_operator_id__in=operator_ids,
            # Open assessments are always of the case's current round: a new round cancels the
            # open ones first (prequal.services.cases). So no `round = case.round` join here:
            # the page count is an index-only scan of assessment_queue_open.
            status__in=Assessment.OPEN,
        )
        .select_related(
            "system_operator__organisation",
            "deadline_rule",
            "case__fsp__organisation",
            "case__product",
            "case__spu__connection_point__connecting_so__organisation",
            "case__spg",
        )
        .order_by(F("deadline").asc(nulls_last=True), "pk")
    )
    if status:
        qs = qs.filter(status=status)
    qs = qs.filter(queue_filter_q(due=due, overdue=overdue, attention=attention, now=timezone.now()))
    if product:
        qs = (
            qs.filter(case__product__code=product)
            if not str(product).isdigit()
            else qs.filter(case__product_id=product)
        )
    if connecting_so:
        # The cases whose points (the SPU's, or an SPG member's when applied) this SO connects:
        # its own assessments marked `connects`, off the partial index assessment_connecting,
        # whatever the number of points or cases.
        connected = Assessment.objects.filter(system_operator_id=connecting_so, connects=True)
        # In two steps: first the ids of the (few) open cases it connects, then the page. In one
        # statement the planner joined every open row's details before filtering (225 ms for
        # the TSO at the reference scale); one query more, whatever the data size.
        case_ids = list(
            qs.filter(case_id__in=connected.values("case_id")).order_by().values_list("case_id", flat=True)
        )
        qs = qs.filter(case_id__in=case_ids)
    return qs


def queue_filter_q(*, due: str | None = None, overdue: bool = False, attention: str | None = None, now) -> Q:
    """Open assessments due within 7 days, overdue (the sweep has not applied silence yet), or
    back with the engineer (information supplied, re-assessment). Read by the queue and by the
    dashboards' figures, so each figure counts the rows its link lists."""
    pending = Assessment.Status.PENDING
    q = Q()
    if due == DUE_WITHIN_7_DAYS:
        q &= Q(status=pending, deadline__gte=now, deadline__lt=now + DUE_SOON)
    if overdue:
        q &= Q(status=pending, deadline__lt=now)
    if attention == ATTENTION_SUPPLIED:
        q &= Q(status=pending, incomplete_declared_at__isnull=False)
    elif attention == ATTENTION_REASSESSMENT:
        q &= Q(round__gt=1)
    return q
