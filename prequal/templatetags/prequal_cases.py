"""Labels and badges for case and assessment states and audit actions (case pages, queue)."""

from __future__ import annotations

from django import template
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from observability.resolver import Reason
from prequal.models import Assessment, Case

register = template.Library()

_STATE_LABELS = {**dict(Case.Status.choices), **dict(Assessment.Status.choices)}

_BADGES = {
    "approved": "ok",
    "approved_by_silence": "ok silence",
    "conditionally_approved": "warn",
    "not_approved": "err",
    "incomplete": "warn",
    "withdrawn": "",
    "cancelled": "",
    "expired": "",
}

# Read by the timeline: what each audit action (CaseEvent.action) means to a person.
ACTION_LABELS = {
    "submit": _("Submitted"),
    "open_assessment": _("Assessments opened"),
    "withdraw": _("Withdrawn"),
    "cancel": _("Assessment cancelled"),
    "declare_incomplete": _("Declared incomplete"),
    "supply_information": _("Information supplied"),
    "resume": _("Clock restarted"),
    "approve": _("Approved"),
    "approve_with_conditions": _("Approved with conditions"),
    "approve_conditionally": _("Conditionally approved"),
    "refuse": _("Not approved"),
    "apply_silence": _("Approved by silence"),
    "reassess": _("Sent back to assessment"),
    "expire": _("Expired"),
    "attach": _("File attached"),  # attachments.services
}


@register.filter
def state_label(value: str) -> str:
    """The person-readable label of a case or assessment state value."""
    return _STATE_LABELS.get(value, value)


@register.filter
def state_badge(value: str) -> str:
    """CSS classes for the state's badge: ok, warn, err (approved by silence is marked too)."""
    return _BADGES.get(value, "")


@register.filter
def action_label(event) -> str:
    if event.action in ACTION_LABELS:
        return ACTION_LABELS[event.action]
    return state_label(event.to_state)


@register.filter
def event_reason(value: str) -> str:
    """A timeline reason in the reader's language: the system's fixed reasons are stored as their
    English msgid (gettext_noop) and translated here; what a person wrote is shown as written."""
    return gettext(value) if value else value


@register.filter
def reason_labels(values) -> str:
    """Why an SO assesses (observability.resolver.Reason values), as one readable line."""
    labels = []
    for value in values or []:
        try:
            labels.append(str(Reason(value).label))
        except ValueError:
            labels.append(str(value))
    return ", ".join(labels)
