"""E-mail notifications of workflow events (SPEC §5): who must act or should know.

Sent after commit by prequal.tasks; one message per recipient, so addresses of other
organisations are never disclosed. Console backend by default (settings.EMAIL_BACKEND).
"""

from __future__ import annotations

from collections.abc import Iterable

from django.conf import settings
from django.core.mail import EmailMessage, get_connection
from django.template.loader import render_to_string
from django.urls import NoReverseMatch, reverse
from django.utils import translation
from django.utils.translation import gettext as _

from accounts.models import Membership, User
from prequal.models import Assessment, AssessmentReminder, Case, CaseEvent

S = Case.Status
A = Assessment.Status


def _site_url(path: str) -> str:
    return getattr(settings, "GRIDPREQUAL_SITE_URL", "http://127.0.0.1:8000").rstrip("/") + path


def case_url(case_id: int) -> str:
    try:
        path = reverse("prequal:case-detail", kwargs={"pk": case_id})
    except NoReverseMatch:
        path = f"/cases/{case_id}/"
    return _site_url(path)


def _emails(users) -> list[str]:
    return sorted({u.email for u in users if u.email})


def _so_engineers(so_ids: Iterable[int]) -> list[str]:
    return _emails(User.objects.filter(
        is_active=True, memberships__role=Membership.Role.SO_ENGINEER,
        memberships__organisation__system_operator__in=list(so_ids),
    ).distinct())


def _fsp_users(fsp_id: int) -> list[str]:
    return _emails(User.objects.filter(
        is_active=True, memberships__role=Membership.Role.FSP_USER,
        memberships__organisation__fsp=fsp_id,
    ).distinct())


def _round_so_ids(case: Case, *, open_only: bool = False) -> list[int]:
    qs = case.assessments.filter(round=case.round)
    if open_only:
        qs = qs.filter(status__in=Assessment.OPEN)
    return list(qs.values_list("system_operator_id", flat=True))


def _recipients(event: CaseEvent) -> tuple[list[str], str]:
    """(addresses, subject) for an event; no addresses when nobody needs to hear of it."""
    case = event.case
    ref = _("Case #%(id)s (%(resource)s, %(product)s)") % {
        "id": case.pk, "resource": case.resource, "product": case.product}
    if event.assessment_id is None:
        if event.to_state == S.UNDER_ASSESSMENT and event.from_state == S.SUBMITTED:
            return _so_engineers(_round_so_ids(case)), _("New assessment: %(ref)s") % {"ref": ref}
        if event.to_state == S.UNDER_ASSESSMENT and event.from_state == S.UNDER_ASSESSMENT:
            if event.action == "supply_information":
                return (_so_engineers(_round_so_ids(case, open_only=True)),
                        _("Information supplied: %(ref)s") % {"ref": ref})
            return (_so_engineers(_round_so_ids(case)) + _fsp_users(case.fsp_id),
                    _("Re-assessment: %(ref)s") % {"ref": ref})
        if event.to_state == S.UNDER_ASSESSMENT:  # decided → re-assessment
            return (_so_engineers(_round_so_ids(case)) + _fsp_users(case.fsp_id),
                    _("Re-assessment: %(ref)s") % {"ref": ref})
        if event.to_state in Case.DECIDED:
            return (_fsp_users(case.fsp_id) + _so_engineers(_round_so_ids(case)),
                    _("Outcome %(outcome)s: %(ref)s") % {
                        "outcome": S(event.to_state).label, "ref": ref})
        if event.to_state == S.WITHDRAWN:
            return (_so_engineers(_round_so_ids(case)) + _fsp_users(case.fsp_id),
                    _("Withdrawn: %(ref)s") % {"ref": ref})
        if event.to_state == S.EXPIRED:
            return _fsp_users(case.fsp_id), _("Expired: %(ref)s") % {"ref": ref}
        return [], ""
    so_id = event.assessment.system_operator_id
    if event.to_state == A.INCOMPLETE:
        return _fsp_users(case.fsp_id), _("Information missing: %(ref)s") % {"ref": ref}
    if event.to_state == A.APPROVED_BY_SILENCE:
        return (_fsp_users(case.fsp_id) + _so_engineers([so_id]),
                _("Approved by silence: %(ref)s") % {"ref": ref})
    if event.to_state in Assessment.DECIDED:
        return (_fsp_users(case.fsp_id),
                _("%(so)s decided: %(ref)s") % {"so": event.assessment.system_operator, "ref": ref})
    return [], ""


def _send(messages: list[EmailMessage]) -> int:
    if not messages:
        return 0
    with get_connection() as connection:
        return connection.send_messages(messages) or 0


def case_events_notify(*, event_ids: list[int]) -> int:
    """Send the e-mails for these audit events; returns the number of messages sent."""
    events = CaseEvent.objects.filter(pk__in=event_ids).select_related(
        "case__product", "case__spu", "case__spg", "case__fsp__organisation",
        "assessment__system_operator__organisation", "assessment__deadline_rule", "actor",
    )
    messages = []
    with translation.override(settings.LANGUAGE_CODE):
        for event in events:
            addresses, subject = _recipients(event)
            if not addresses:
                continue
            body = render_to_string("prequal/email/case_event.txt", {
                "event": event, "case": event.case, "assessment": event.assessment,
                "url": case_url(event.case_id),
            })
            messages += [EmailMessage(f"[gridprequal] {subject}", body, to=[address])
                         for address in sorted(set(addresses))]
    return _send(messages)


def assessment_reminders_notify(*, reminder_ids: list[int]) -> int:
    """Remind the assessing SO's engineers of an approaching deadline."""
    reminders = AssessmentReminder.objects.filter(pk__in=reminder_ids).select_related(
        "assessment__case__product", "assessment__case__spu", "assessment__case__spg",
        "assessment__system_operator", "assessment__deadline_rule",
    )
    messages = []
    with translation.override(settings.LANGUAGE_CODE):
        for reminder in reminders:
            assessment = reminder.assessment
            if assessment.status != A.PENDING:
                continue
            subject = _("Deadline in %(days)s days: case #%(id)s") % {
                "days": reminder.days_before, "id": assessment.case_id}
            body = render_to_string("prequal/email/reminder.txt", {
                "reminder": reminder, "assessment": assessment, "case": assessment.case,
                "url": case_url(assessment.case_id),
            })
            messages += [EmailMessage(f"[gridprequal] {subject}", body, to=[address])
                         for address in _so_engineers([assessment.system_operator_id])]
    return _send(messages)
