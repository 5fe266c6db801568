"""The audit trail of cases and assessments (SPEC R2): immutable rows, one per transition."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from common.text import JUSTIFICATION_MAX_LENGTH, bounded_text_field
from prequal.models.assessments import Assessment
from prequal.models.cases import Case
from prequal.models.texts import rendered


class ImmutableRecordError(Exception):
    """Raised on any attempt to change or delete an audit row."""


class CaseEventQuerySet(models.QuerySet):
    def update(self, **kwargs):
        raise ImmutableRecordError(_("The audit trail cannot be changed."))

    def delete(self):
        raise ImmutableRecordError(_("The audit trail cannot be deleted."))


class CaseEvent(models.Model):
    """One row per transition of a case or an assessment: the audit trail (SPEC R2).

    Immutable: saving an existing row, deleting, or a queryset update/delete raise.
    `actor` is the person; when it is empty, `via` says whether the deadline sweep or the
    system acted.
    """

    class Via(models.TextChoices):
        USER = "user", _("Person")
        DEADLINE = "deadline", _("Deadline")
        SYSTEM = "system", _("System")

    case = models.ForeignKey(Case, models.PROTECT, related_name="events")
    assessment = models.ForeignKey(
        Assessment, models.PROTECT, null=True, blank=True, related_name="events"
    )
    at = models.DateTimeField(_("at"), default=timezone.now)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, models.PROTECT, null=True, blank=True, related_name="+"
    )
    via = models.CharField(_("by"), max_length=10, choices=Via.choices, default=Via.USER)
    # What happened: the transition or service step, e.g. "submit", "apply_silence",
    # "supply_information", "reassess". Read by notifications and the timeline.
    action = models.CharField(_("action"), max_length=32, blank=True)
    from_state = models.CharField(_("from"), max_length=24, blank=True)
    to_state = models.CharField(_("to"), max_length=24)
    # Holds a withdrawal's reason or a step's text (at most a justification's length).
    reason = bounded_text_field(_("reason"), blank=True, max_length=JUSTIFICATION_MAX_LENGTH)
    # A reason the system composed (prequal.models.texts.Text): `reason` holds its English msgid
    # and these its parameters, so that each reader reads it in their own language. Empty for a
    # fixed reason (a msgid without parameters), what a person wrote, and rows written before.
    reason_params = models.JSONField(_("reason's parameters"), default=dict, blank=True)

    objects = CaseEventQuerySet.as_manager()

    class Meta:
        ordering = ["at", "pk"]
        indexes = [models.Index(fields=["case", "at"], name="case_event_case_at")]

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M} {self.from_state} → {self.to_state}"

    def save(self, *args, **kwargs) -> None:
        if not self._state.adding:
            raise ImmutableRecordError(_("The audit trail cannot be changed."))
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise ImmutableRecordError(_("The audit trail cannot be deleted."))

    def reason_text(self, *, translate: bool = True) -> str:
        """The reason in the active language (`translate`; pages, e-mails) or in English as stored
        (the API). A fixed reason is its msgid; a person's text matches none and stays as written."""
        if not self.reason:
            return self.reason
        if self.reason_params:
            return rendered({"t": self.reason, "p": self.reason_params}, translate=translate)
        return gettext(self.reason) if translate else self.reason

    @property
    def api_reason(self) -> str:
        return self.reason_text(translate=False)

    @property
    def actor_label(self) -> str:
        if self.actor_id:
            return self.actor.get_full_name() or self.actor.username
        return str(self.get_via_display())
