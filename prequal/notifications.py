"""Notifications of workflow events (SPEC §5): who must act or should know, and of which kind.

Sent after commit by prequal.tasks through notices.services.notify: in the app always, by e-mail
unless the user chose otherwise; one message per recipient, in the recipient's language
(common.mail). Console backend by default (settings.EMAIL_BACKEND).
"""

from __future__ import annotations

from collections.abc import Iterable

from django.conf import settings
from django.template.loader import render_to_string
from django.urls import NoReverseMatch, reverse
from django.utils.functional import Promise
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext

from accounts.models import Membership, User
from common import mail
from notices.models import Notification
from notices.services import notify
from prequal.models import Assessment, AssessmentReminder, Case, CaseEvent, Condition
from prequal.selectors.cases import case_conditions

S = Case.Status
A = Assessment.Status
K = Notification.Kind

Recipients = list[User]


def case_path(case_id: int) -> str:
    try:
        return reverse("prequal:case-detail", kwargs={"pk": case_id})
    except NoReverseMatch:
        return f"/cases/{case_id}/"


def case_url(case_id: int) -> str:
    return mail.site_url(case_path(case_id))


def _so_engineers(so_ids: Iterable[int]) -> Recipients:
    return list(User.objects.filter(
        is_active=True, memberships__role=Membership.Role.SO_ENGINEER,
        memberships__organisation__system_operator__in=list(so_ids),
    ).distinct())


def _fsp_users(fsp_id: int) -> Recipients:
    return list(User.objects.filter(
        is_active=True, memberships__role=Membership.Role.FSP_USER,
        memberships__organisation__fsp=fsp_id,
    ).distinct())


def _round_so_ids(case: Case, *, open_only: bool = False) -> list[int]:
    qs = case.assessments.filter(round=case.round)
    if open_only:
        qs = qs.filter(status__in=Assessment.OPEN)
    return list(qs.values_list("system_operator_id", flat=True))


Addressed = tuple[Recipients, str, Promise | None, dict]
NOBODY: Addressed = ([], "", None, {})


def _case_recipients(event: CaseEvent) -> Addressed:
    """Who hears of a case-level event (no assessment), of which kind, and its subject."""
    case = event.case
    if event.to_state == S.UNDER_ASSESSMENT and event.from_state == S.SUBMITTED:
        return (_so_engineers(_round_so_ids(case)), K.CASE_SUBMITTED,
                gettext_lazy("New assessment: %(ref)s"), {})
    if (event.to_state == S.UNDER_ASSESSMENT and event.from_state == S.UNDER_ASSESSMENT
            and event.action == "supply_information"):
        return (_so_engineers(_round_so_ids(case, open_only=True)), K.INFORMATION_SUPPLIED,
                gettext_lazy("Information supplied: %(ref)s"), {})
    if event.to_state == S.UNDER_ASSESSMENT:  # a material change: decided or not, assess again
        return (_so_engineers(_round_so_ids(case)) + _fsp_users(case.fsp_id), K.REASSESSMENT,
                gettext_lazy("Re-assessment: %(ref)s"), {})
    if event.to_state in Case.DECIDED:
        return (_fsp_users(case.fsp_id) + _so_engineers(_round_so_ids(case)), K.CASE_DECIDED,
                gettext_lazy("Outcome %(outcome)s: %(ref)s"), {"outcome": S(event.to_state).label})
    if event.to_state == S.WITHDRAWN:
        return (_so_engineers(_round_so_ids(case)) + _fsp_users(case.fsp_id), K.CASE_WITHDRAWN,
                gettext_lazy("Withdrawn: %(ref)s"), {})
    if event.to_state == S.EXPIRED:
        return _fsp_users(case.fsp_id), K.CASE_EXPIRED, gettext_lazy("Expired: %(ref)s"), {}
    return NOBODY


def _recipients(event: CaseEvent) -> Addressed:
    """(recipients, kind, subject, the subject's other parameters) for an event; no recipients
    when nobody needs to hear of it. The subject is translated later, in each recipient's
    language; it takes %(ref)s, the case's reference, and the parameters."""
    if event.assessment_id is None:
        return _case_recipients(event)
    case = event.case
    so_id = event.assessment.system_operator_id
    if event.to_state == A.INCOMPLETE:
        return (_fsp_users(case.fsp_id), K.INFORMATION_REQUESTED,
                gettext_lazy("Information missing: %(ref)s"), {})
    if event.to_state == A.APPROVED_BY_SILENCE:
        return (_fsp_users(case.fsp_id) + _so_engineers([so_id]), K.APPROVED_BY_SILENCE,
                gettext_lazy("Approved by silence: %(ref)s"), {})
    if event.to_state in Assessment.DECIDED:
        return (_fsp_users(case.fsp_id), K.ASSESSMENT_DECIDED, gettext_lazy("%(so)s decided: %(ref)s"),
                {"so": event.assessment.system_operator})
    return NOBODY


def _case_ref(case: Case) -> str:
    return _("Case #%(id)s (%(resource)s, %(product)s)") % {
        "id": case.pk, "resource": case.resource, "product": case.product}


def _event_conditions(event: CaseEvent) -> list[Condition]:
    """The conditions an e-mail about `event` lists: the SO's own for its conditional approval,
    the union of all SOs' (R5) for a conditionally approved case; each read with describe()."""
    if event.assessment_id is not None:
        if event.to_state != A.CONDITIONALLY_APPROVED:
            return []
        return list(event.assessment.conditions.select_related("assessment__system_operator__organisation"))
    if event.to_state != S.CONDITIONALLY_APPROVED:
        return []
    return case_conditions(case=event.case)


def case_events_notify(*, event_ids: list[int]) -> int:
    """Notify of these audit events, in the app and by e-mail; returns the number of e-mails sent."""
    events = CaseEvent.objects.filter(pk__in=event_ids).select_related(
        "case__product", "case__spu", "case__spg", "case__fsp__organisation",
        "assessment__system_operator__organisation", "assessment__deadline_rule", "actor",
    )
    sent = 0
    for event in events:
        users, kind, subject, params = _recipients(event)
        if not users:
            continue
        # Times in the assessing SO's zone when one SO acts, else the installation's.
        time_zone = (event.assessment.system_operator.time_zone if event.assessment_id
                     else settings.TIME_ZONE)
        context = {
            "event": event, "case": event.case, "assessment": event.assessment,
            "url": case_url(event.case_id), "time_zone": time_zone, "conditions": _event_conditions(event),
        }
        sent += notify(
            users=users, kind=kind, path=case_path(event.case_id),
            subject_for=lambda s=subject, e=event, p=params: s % {"ref": _case_ref(e.case), **p},
            body_for=lambda c=context: render_to_string("prequal/email/case_event.txt", c),
        )
    return sent


def assessment_reminders_notify(*, reminder_ids: list[int]) -> int:
    """Remind the assessing SO's engineers of an approaching deadline."""
    reminders = AssessmentReminder.objects.filter(pk__in=reminder_ids).select_related(
        "assessment__case__product", "assessment__case__spu", "assessment__case__spg",
        "assessment__system_operator", "assessment__deadline_rule",
    )
    sent = 0
    for reminder in reminders:
        assessment = reminder.assessment
        if assessment.status != A.PENDING:
            continue
        context = {
            "reminder": reminder, "assessment": assessment, "case": assessment.case,
            "url": case_url(assessment.case_id), "time_zone": assessment.system_operator.time_zone,
        }
        sent += notify(
            users=_so_engineers([assessment.system_operator_id]), kind=K.DEADLINE_REMINDER,
            path=case_path(assessment.case_id),
            subject_for=lambda r=reminder, a=assessment: ngettext(
                "Deadline in %(days)s day: case #%(id)s", "Deadline in %(days)s days: case #%(id)s",
                r.days_before,
            ) % {"days": r.days_before, "id": a.case_id},
            body_for=lambda c=context: render_to_string("prequal/email/reminder.txt", c),
        )
    return sent
