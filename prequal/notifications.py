"""E-mail notifications of workflow events (SPEC §5): who must act or should know.

Sent after commit by prequal.tasks; one message per recipient, in the recipient's language
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
from prequal.models import Assessment, AssessmentReminder, Case, CaseEvent, Condition
from prequal.selectors.cases import case_conditions

S = Case.Status
A = Assessment.Status

Recipients = list[tuple[str, str]]


def case_url(case_id: int) -> str:
    try:
        path = reverse("prequal:case-detail", kwargs={"pk": case_id})
    except NoReverseMatch:
        path = f"/cases/{case_id}/"
    return mail.site_url(path)


def _so_engineers(so_ids: Iterable[int]) -> Recipients:
    return mail.recipients(User.objects.filter(
        is_active=True, memberships__role=Membership.Role.SO_ENGINEER,
        memberships__organisation__system_operator__in=list(so_ids),
    ).distinct())


def _fsp_users(fsp_id: int) -> Recipients:
    return mail.recipients(User.objects.filter(
        is_active=True, memberships__role=Membership.Role.FSP_USER,
        memberships__organisation__fsp=fsp_id,
    ).distinct())


def _round_so_ids(case: Case, *, open_only: bool = False) -> list[int]:
    qs = case.assessments.filter(round=case.round)
    if open_only:
        qs = qs.filter(status__in=Assessment.OPEN)
    return list(qs.values_list("system_operator_id", flat=True))


def _recipients(event: CaseEvent) -> tuple[Recipients, Promise | None, dict]:
    """(recipients, subject, the subject's other parameters) for an event; no recipients when
    nobody needs to hear of it. The subject is translated later, in each recipient's language;
    it takes %(ref)s, the case's reference, and the parameters."""
    case = event.case
    if event.assessment_id is None:
        if event.to_state == S.UNDER_ASSESSMENT and event.from_state == S.SUBMITTED:
            return _so_engineers(_round_so_ids(case)), gettext_lazy("New assessment: %(ref)s"), {}
        if (event.to_state == S.UNDER_ASSESSMENT and event.from_state == S.UNDER_ASSESSMENT
                and event.action == "supply_information"):
            return (_so_engineers(_round_so_ids(case, open_only=True)),
                    gettext_lazy("Information supplied: %(ref)s"), {})
        if event.to_state == S.UNDER_ASSESSMENT:  # a material change: decided or not, assess again
            return (_so_engineers(_round_so_ids(case)) + _fsp_users(case.fsp_id),
                    gettext_lazy("Re-assessment: %(ref)s"), {})
        if event.to_state in Case.DECIDED:
            return (_fsp_users(case.fsp_id) + _so_engineers(_round_so_ids(case)),
                    gettext_lazy("Outcome %(outcome)s: %(ref)s"), {"outcome": S(event.to_state).label})
        if event.to_state == S.WITHDRAWN:
            return (_so_engineers(_round_so_ids(case)) + _fsp_users(case.fsp_id),
                    gettext_lazy("Withdrawn: %(ref)s"), {})
        if event.to_state == S.EXPIRED:
            return _fsp_users(case.fsp_id), gettext_lazy("Expired: %(ref)s"), {}
        return [], None, {}
    so_id = event.assessment.system_operator_id
    if event.to_state == A.INCOMPLETE:
        return _fsp_users(case.fsp_id), gettext_lazy("Information missing: %(ref)s"), {}
    if event.to_state == A.APPROVED_BY_SILENCE:
        return (_fsp_users(case.fsp_id) + _so_engineers([so_id]),
                gettext_lazy("Approved by silence: %(ref)s"), {})
    if event.to_state in Assessment.DECIDED:
        return (_fsp_users(case.fsp_id), gettext_lazy("%(so)s decided: %(ref)s"),
                {"so": event.assessment.system_operator})
    return [], None, {}


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
    """Send the e-mails for these audit events; returns the number of messages sent."""
    events = CaseEvent.objects.filter(pk__in=event_ids).select_related(
        "case__product", "case__spu", "case__spg", "case__fsp__organisation",
        "assessment__system_operator__organisation", "assessment__deadline_rule", "actor",
    )
    messages = []
    for event in events:
        addressed, subject, params = _recipients(event)
        # Times in the assessing SO's zone when one SO acts, else the installation's.
        time_zone = (event.assessment.system_operator.time_zone if event.assessment_id
                     else settings.TIME_ZONE)
        conditions = _event_conditions(event) if addressed else []
        for addresses in mail.in_each_language(addressed):
            body = render_to_string("prequal/email/case_event.txt", {
                "event": event, "case": event.case, "assessment": event.assessment,
                "url": case_url(event.case_id), "time_zone": time_zone, "conditions": conditions,
            })
            messages += mail.messages_to(
                addresses, subject=subject % {"ref": _case_ref(event.case), **params}, body=body)
    return mail.send(messages)


def assessment_reminders_notify(*, reminder_ids: list[int]) -> int:
    """Remind the assessing SO's engineers of an approaching deadline."""
    reminders = AssessmentReminder.objects.filter(pk__in=reminder_ids).select_related(
        "assessment__case__product", "assessment__case__spu", "assessment__case__spg",
        "assessment__system_operator", "assessment__deadline_rule",
    )
    messages = []
    for reminder in reminders:
        assessment = reminder.assessment
        if assessment.status != A.PENDING:
            continue
        for addresses in mail.in_each_language(_so_engineers([assessment.system_operator_id])):
            subject = ngettext(
                "Deadline in %(days)s day: case #%(id)s", "Deadline in %(days)s days: case #%(id)s",
                reminder.days_before,
            ) % {"days": reminder.days_before, "id": assessment.case_id}
            body = render_to_string("prequal/email/reminder.txt", {
                "reminder": reminder, "assessment": assessment, "case": assessment.case,
                "url": case_url(assessment.case_id),
                "time_zone": assessment.system_operator.time_zone,
            })
            messages += mail.messages_to(addresses, subject=subject, body=body)
    return mail.send(messages)
