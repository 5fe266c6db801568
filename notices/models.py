"""In-app notifications and each user's choice of which kinds also come by e-mail (issue 15).

Written by notices.services.notify, the one place every event a user must act on or should know
of passes through (SPEC §5); read by the bell in the page header and the list page.
"""

from __future__ import annotations

from django.db import models
from django.utils import timezone, translation
from django.utils.translation import gettext_lazy as _

from accounts.models import User


class Notification(models.Model):
    class Kind(models.TextChoices):
        # Cases (prequal.notifications): what an SO engineer must assess or should know.
        CASE_SUBMITTED = "case_submitted", _("New assessment")
        INFORMATION_SUPPLIED = "information_supplied", _("Information supplied")
        REASSESSMENT = "reassessment", _("Re-assessment")
        DEADLINE_REMINDER = "deadline_reminder", _("Deadline reminder")
        # Cases: what an FSP must act on or should know (engineers hear of outcomes too).
        INFORMATION_REQUESTED = "information_requested", _("Information requested")
        ASSESSMENT_DECIDED = "assessment_decided", _("A system operator decided")
        APPROVED_BY_SILENCE = "approved_by_silence", _("Approved by silence")
        CASE_DECIDED = "case_decided", _("Outcome of a case")
        CASE_WITHDRAWN = "case_withdrawn", _("Case withdrawn")
        CASE_EXPIRED = "case_expired", _("Case expired")
        # Temporary limits (limits.notifications).
        LIMIT_PUBLISHED = "limit_published", _("Temporary limit published")
        LIMIT_CHANGED = "limit_changed", _("Temporary limit changed")
        LIMIT_LIFTED = "limit_lifted", _("Temporary limit lifted")
        # Congestion forecasts (forecasts.notifications): likely or certain for an FSP's resource.
        FORECAST_CONGESTION = "forecast_congestion", _("Congestion forecast")

    user = models.ForeignKey(
        User, models.CASCADE, related_name="notifications", verbose_name=_("user")
    )
    kind = models.CharField(_("kind"), max_length=40, choices=Kind.choices)
    # Written in the recipient's language when the event happened, like the e-mail.
    subject = models.CharField(_("subject"), max_length=300)
    body = models.TextField(_("body"), blank=True)
    # The same subject and body written in each of the site's languages when the event happened,
    # {language: [subject, body]}: the bell's list and the API show the reader's (shown_subject).
    # Empty on rows written before (they keep their subject and body).
    texts = models.JSONField(_("texts in each language"), default=dict, blank=True)
    # A path on this site (the e-mail prefixes the public address).
    url = models.CharField(_("link"), max_length=500, blank=True)
    created_at = models.DateTimeField(_("created"), default=timezone.now)
    read_at = models.DateTimeField(_("read"), null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        verbose_name = _("notification")
        verbose_name_plural = _("notifications")
        indexes = [
            # The list page: a user's notifications, newest first.
            models.Index(fields=["user", "-created_at"], name="notice_user_created"),
            # The bell on every page: count of a user's unread rows.
            models.Index(
                fields=["user"], name="notice_user_unread", condition=models.Q(read_at__isnull=True)
            ),
        ]

    def __str__(self) -> str:
        return self.subject

    def _shown(self) -> list[str]:
        """[subject, body] in the active language (the reader's), else as the recipient read it."""
        language = translation.get_language() or ""
        shown = self.texts.get(language) or self.texts.get(language.split("-")[0])
        return shown or [self.subject, self.body]

    @property
    def shown_subject(self) -> str:
        return self._shown()[0]

    @property
    def shown_body(self) -> str:
        return self._shown()[1]


class EmailPreference(models.Model):
    """A user's choice for one kind of event; no row means the default: e-mail on."""

    user = models.ForeignKey(
        User, models.CASCADE, related_name="email_preferences", verbose_name=_("user")
    )
    kind = models.CharField(_("kind"), max_length=40, choices=Notification.Kind.choices)
    email = models.BooleanField(_("by e-mail"), default=True)

    class Meta:
        verbose_name = _("e-mail preference")
        verbose_name_plural = _("e-mail preferences")
        constraints = [models.UniqueConstraint(fields=["user", "kind"], name="notice_pref_unique")]

    def __str__(self) -> str:
        return f"{self.user} {self.kind}: {self.email}"
