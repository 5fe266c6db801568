"""Grid prequalification in the browser: the FSP's applications, the SO queue, the case page, decisions.

Every view: decorators → selector (404 for outsiders, 403 for read-only members) → form →
service → message → redirect. The rules live in prequal.services.cases.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Count, F, Q
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from accounts.selectors import user_roles
from common.exceptions import ApplicationError
from common.listing import listing_apply, listing_export
from common.pagination import paginate
from observability.maps import area_feature, map_settings, point_features
from observability.selectors import area_list_for_user, system_operator_list
from prequal.forms import form_add_service_errors
from prequal.forms_cases import (
    CaseCreateForm,
    CaseFilterForm,
    CaseWithdrawForm,
    ConditionFormSet,
    DecisionForm,
    DeclareIncompleteForm,
    QueueFilterForm,
    SupplyInformationForm,
)
from prequal.listings import CASE_LIST, QUEUE_LIST
from prequal.models import Assessment, Case
from prequal.selectors import cases as case_selectors
from prequal.selectors.resources import fsps_for_user, product_list
from prequal.services import cases as case_services

# Deadlines this close are highlighted in the queue and on the case page.
SOON = timedelta(days=7)


def _error_text(exc: ValidationError | ApplicationError) -> str:
    if isinstance(exc, ApplicationError):
        return exc.message
    return " ".join(str(m) for m in exc.messages)


def _clock(deadline: datetime | None, now: datetime) -> dict:
    """Days left before a deadline, and whether it is overdue or soon (for highlighting)."""
    if deadline is None:
        return {"days_left": None, "overdue": False, "soon": False}
    left = deadline - now
    return {"days_left": left.days, "overdue": left < timedelta(0), "soon": timedelta(0) <= left <= SOON}


# --- FSP: applications ------------------------------------------------------------------------


@login_required
@require_GET
def case_list(request: HttpRequest) -> HttpResponse:
    products = product_list()
    form = CaseFilterForm(request.GET or None, products=products, operators=system_operator_list())
    data = form.cleaned_data if form.is_valid() else {}
    product, operator = data.get("product"), data.get("operator")
    qs = case_selectors.case_list_for_user(
        user=request.user, status=data.get("status") or None, product=product.pk if product else None,
        decided=data.get("decided") or None, outcome=data.get("outcome") or None,
        operator=operator.pk if operator else None, waiting=data.get("waiting") or None,
    ).select_related("spu", "spg").annotate(
        # Shown beside the outcome: approval by silence must be visible everywhere (R4).
        silenced=Count("assessments", filter=Q(
            assessments__status=Assessment.Status.APPROVED_BY_SILENCE, assessments__round=F("round")
        ))
    )
    listing = listing_apply(request, qs, spec=CASE_LIST, form=form)
    if listing.export:
        return listing_export(listing)
    return render(request, "prequal/case_list.html", {
        "filter_form": form,
        "listing": listing,
        "page_obj": paginate(request, listing.queryset),
        "can_apply": user_roles(user=request.user).is_fsp,
    })


@login_required
def case_create(request: HttpRequest) -> HttpResponse:
    fsps = list(fsps_for_user(user=request.user))
    if not fsps:
        raise PermissionDenied
    initial = {}
    for kind in (CaseCreateForm.KIND_SPU, CaseCreateForm.KIND_SPG):
        if request.GET.get(kind):
            initial = {"kind": kind, "code": request.GET[kind]}
    form = CaseCreateForm(
        request.POST or None, initial=initial, user=request.user, fsps=fsps_for_user(user=request.user),
        products=product_list(),
    )
    if request.method == "POST" and form.is_valid():
        try:
            case = case_services.case_create_draft(user=request.user, **form.service_kwargs())
        except ValidationError as exc:
            form_add_service_errors(form, exc, field_map={"spu": "code", "spg": "code"})
        except ApplicationError as exc:
            form.add_error(None, exc.message)
        else:
            messages.success(request, _(
                "Draft application #%(case)s saved. Check who will assess it and by when, then submit it."
            ) % {"case": case.pk})
            return redirect("prequal:case-detail", pk=case.pk)
    if form.errors:
        messages.error(request, _("The application was not created: see the errors below."))
    return render(request, "prequal/case_form.html", {"form": form})


def _map_config(*, user, points, area_ids: set[int]) -> dict | None:
    """Leaflet config (static/js/area_map.js): the case's points and the areas that brought SOs in."""
    if not points:
        return None
    areas = area_list_for_user(user=user).filter(pk__in=area_ids) if area_ids else []
    features = [area_feature(area, simplify=0.001) for area in areas] + point_features(points)
    return {
        **map_settings(),
        "data": {"type": "FeatureCollection", "features": features},
        "focus": "point",
    }


@login_required
@require_GET
def case_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """The case page: for the FSP, the engineers of every assessing SO, and the NRA."""
    case, rights = case_selectors.case_get_with_rights_for_user(user=request.user, pk=pk)
    now = timezone.now()
    assessments = case_selectors.case_assessments(case=case, user=request.user)
    for assessment in assessments:
        assessment.clock = _clock(assessment.deadline if assessment.status == "pending" else None, now)
    preview, preview_error = None, ""
    if rights.submit:
        try:
            preview = case_services.case_preview_assessing_sos(case=case, at=now)
        except (ValidationError, ApplicationError) as exc:
            preview_error = _error_text(exc)
    points = case_services.case_points(case=case, at=now)
    members = (
        case.spg.memberships.select_related("spu__connection_point__connecting_so__organisation")
        .order_by("spu__code") if case.spg_id else []
    )
    return render(request, "prequal/case_detail.html", {
        "case": case,
        "is_owner": rights.is_owner,
        "can_set_limit": rights.set_limit,
        "can_check_activation": rights.check_activation,
        "can_submit": rights.submit,
        "can_withdraw": rights.withdraw,
        "can_supply": rights.supply_information,
        "assessments": assessments,
        "previous_assessments": case_selectors.case_previous_assessments(case=case),
        "missing": [a for a in assessments if a.status == Assessment.Status.INCOMPLETE],
        "conditions": case_selectors.case_conditions(case=case),
        "excluded_members": case_selectors.case_excluded_members(case=case),
        "timeline": case_selectors.case_timeline(case=case),
        "preview": preview,
        "preview_error": preview_error,
        "points": points,
        "members": members,
        "map_config": _map_config(user=request.user, points=points, area_ids={
            pk for entry in (preview or assessments) for pk in (entry.area_version_ids or [])
        }),
        "withdraw_form": CaseWithdrawForm(),
        "supply_form": SupplyInformationForm(),
    })


def _act(request: HttpRequest, case: Case, action, success: str) -> HttpResponse:
    try:
        action()
    except (ValidationError, ApplicationError) as exc:
        messages.error(request, _error_text(exc))
    else:
        messages.success(request, success)
    return redirect("prequal:case-detail", pk=case.pk)


@login_required
@require_POST
def case_submit(request: HttpRequest, pk: int) -> HttpResponse:
    case = case_selectors.case_fsp_get_for_user(user=request.user, pk=pk)
    return _act(
        request, case, lambda: case_services.case_submit(user=request.user, case=case),
        _("Application #%(case)s submitted: the system operators are assessing it.") % {"case": case.pk},
    )


@login_required
@require_POST
def case_delete(request: HttpRequest, pk: int) -> HttpResponse:
    case = case_selectors.case_fsp_get_for_user(user=request.user, pk=pk)
    try:
        case_services.case_delete_draft(user=request.user, case=case)
    except (ValidationError, ApplicationError) as exc:
        messages.error(request, _error_text(exc))
        return redirect("prequal:case-detail", pk=case.pk)
    messages.success(request, _("Draft application #%(case)s deleted.") % {"case": pk})
    return redirect("prequal:case-list")


@login_required
@require_POST
def case_withdraw(request: HttpRequest, pk: int) -> HttpResponse:
    case = case_selectors.case_fsp_get_for_user(user=request.user, pk=pk)
    form = CaseWithdrawForm(request.POST)
    if not form.is_valid():
        messages.error(request, _error_text(ValidationError(form.errors.get("reason", []))))
        return redirect("prequal:case-detail", pk=case.pk)
    return _act(
        request, case,
        lambda: case_services.case_withdraw(user=request.user, case=case, reason=form.cleaned_data["reason"]),
        _("Application #%(case)s withdrawn.") % {"case": case.pk},
    )


@login_required
@require_POST
def case_supply_information(request: HttpRequest, pk: int) -> HttpResponse:
    case = case_selectors.case_fsp_get_for_user(user=request.user, pk=pk)
    form = SupplyInformationForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Describe the information you supply."))
        return redirect("prequal:case-detail", pk=case.pk)
    return _act(
        request, case,
        lambda: case_services.case_supply_information(
            user=request.user, case=case, information=form.cleaned_data["information"]
        ),
        _("Information supplied: the assessment clocks restart from now."),
    )


# --- SO: queue and decisions ----------------------------------------------------------------


@login_required
@require_GET
def queue(request: HttpRequest) -> HttpResponse:
    """The operator's open assessments, earliest deadline first (50 a page)."""
    roles = user_roles(user=request.user)
    if not roles.is_so:
        raise PermissionDenied
    form = QueueFilterForm(request.GET or None, products=product_list(), operators=system_operator_list())
    data = form.cleaned_data if form.is_valid() else {}
    product, connecting_so = data.get("product"), data.get("connecting_so")
    qs = case_selectors.assessment_queue_for_user(
        user=request.user,
        product=product.pk if product else None,
        status=data.get("status") or None,
        connecting_so=connecting_so.pk if connecting_so else None,
        due=data.get("due") or None,
        overdue=bool(data.get("overdue")),
        attention=data.get("attention") or None,
    )
    listing = listing_apply(request, qs, spec=QUEUE_LIST, form=form)
    if listing.export:
        return listing_export(listing)
    page = paginate(request, listing.queryset)
    now = timezone.now()
    case_selectors.assessments_add_rights(assessments=page, user=request.user)
    for assessment in page:
        assessment.clock = _clock(assessment.deadline, now)
    return render(request, "prequal/queue.html", {
        "filter_form": form, "listing": listing, "page_obj": page, "now": now,
    })


def _decision_values(form: DecisionForm, formset) -> dict:
    outcome = form.cleaned_data["outcome"]
    conditions = [c for c in (f.condition() for f in formset.forms) if c]
    return {
        "outcome": outcome,
        "reason": form.cleaned_data["reason"],
        "justification": form.cleaned_data["justification"],
        "limits_explanation": form.cleaned_data["limits_explanation"],
        # Passed whatever the outcome: the service refuses conditions on another decision
        # with a message, rather than the page dropping what the engineer typed.
        "conditions": conditions,
        "excluded_members": form.cleaned_data.get("excluded_members") or [],
    }


@login_required
def assessment_decide(request: HttpRequest, pk: int) -> HttpResponse:
    """Approve, approve with conditions, or refuse (R6); declaring incomplete posts elsewhere."""
    assessment = case_selectors.assessment_get_for_user(user=request.user, pk=pk, write=True)
    case_selectors.assessments_add_rights(assessments=[assessment], user=request.user)
    case = assessment.case
    seen = assessment.updated_at.isoformat()
    if request.method == "POST" and request.POST.get("seen") != seen:
        # The engineer decided on what they saw; it changed since (a colleague, the sweep, the FSP).
        messages.error(request, case_services.CaseChangedMeanwhile().message)
        return redirect("prequal:case-detail", pk=case.pk)
    if not assessment.can_decide:  # Assessment.may_decide: the decision transitions' guard
        messages.info(request, _("This assessment is %(status)s: there is nothing to decide.")
                      % {"status": assessment.get_status_display().lower()})
        return redirect("prequal:case-detail", pk=case.pk)
    time_zone = assessment.system_operator.time_zone
    form = DecisionForm(
        request.POST or None, initial={"seen": seen}, members=case_selectors.case_member_choices(case=case)
    )
    formset = ConditionFormSet(
        request.POST or None, prefix="conditions", form_kwargs={"time_zone": time_zone}
    )
    if request.method == "POST" and form.is_valid() and formset.is_valid():
        try:
            case_services.assessment_decide(
                user=request.user, assessment=assessment, **_decision_values(form, formset)
            )
        except case_services.CaseChangedMeanwhile as exc:
            messages.error(request, exc.message)
            return redirect("prequal:case-detail", pk=case.pk)
        except ValidationError as exc:
            form_add_service_errors(form, exc)
        except ApplicationError as exc:
            form.add_error(None, exc.message)
        else:
            messages.success(request, _("Your decision on case #%(case)s is recorded: %(outcome)s.") % {
                "case": case.pk, "outcome": dict(DecisionForm.OUTCOME_CHOICES)[form.cleaned_data["outcome"]],
            })
            return redirect("prequal:case-detail", pk=case.pk)
    if request.method == "POST":
        messages.error(request, _("The decision was not recorded: see the errors below."))
    others = [a for a in case_selectors.case_assessments(case=case) if a.pk != assessment.pk]
    return render(request, "prequal/assessment_decide.html", {
        "assessment": assessment,
        "case": case,
        "others": others,
        "form": form,
        "formset": formset,
        "incomplete_form": DeclareIncompleteForm(),
        "clock": _clock(assessment.deadline, timezone.now()),
        "time_zone": time_zone,
    })


@login_required
@require_POST
def assessment_declare_incomplete(request: HttpRequest, pk: int) -> HttpResponse:
    assessment = case_selectors.assessment_get_for_user(user=request.user, pk=pk, write=True)
    form = DeclareIncompleteForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("List what is missing from the application."))
        return redirect("prequal:assessment-decide", pk=assessment.pk)
    try:
        case_services.assessment_declare_incomplete(
            user=request.user, assessment=assessment,
            missing_information=form.cleaned_data["missing_information"],
        )
    except (ValidationError, ApplicationError) as exc:
        messages.error(request, _error_text(exc))
        return redirect("prequal:assessment-decide", pk=assessment.pk)
    messages.success(request, _(
        "Case #%(case)s declared incomplete: the clocks stop until the FSP supplies the information."
    ) % {"case": assessment.case_id})
    return redirect("prequal:case-detail", pk=assessment.case_id)
