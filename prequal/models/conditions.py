"""Conditions attached to a conditional approval (SPEC §2, R6, R10)."""

from __future__ import annotations

import zoneinfo
from datetime import datetime

from django.core.exceptions import ValidationError
from django.core.validators import MinValueValidator
from django.db import models
from django.utils.dates import MONTHS_3, WEEKDAYS_ABBR
from django.utils.translation import gettext_lazy as _

from common.models import TimeStampedModel
from common.numbers import plain_number, reader_number
from observability.models import validate_time_zone
from prequal.models.assessments import Assessment


def _validate_int_list(value, *, low: int, high: int, label: str) -> None:
    if not isinstance(value, list) or not all(isinstance(v, int) and low <= v <= high for v in value):
        raise ValidationError(
            _("%(label)s must be a list of whole numbers from %(low)s to %(high)s.")
            % {"label": label, "low": low, "high": high}
        )


class Condition(TimeStampedModel):
    """A limit attached to a conditional approval (SPEC §2, R6, R10).

    Within its validity period and its time window (local time in `time_zone`, the SO's),
    activation is capped at `max_up_mw` / `max_down_mw`; an empty cap leaves that direction
    unlimited, both empty mean "not at all" in the window. Empty months/weekdays mean every
    month/day; no clock times mean the whole day. A window may cross midnight (22:00–06:00).
    """

    assessment = models.ForeignKey(Assessment, models.CASCADE, related_name="conditions")
    max_up_mw = models.DecimalField(
        _("maximum up (MW)"), max_digits=10, decimal_places=3, null=True, blank=True,
        validators=[MinValueValidator(0)],
    )
    max_down_mw = models.DecimalField(
        _("maximum down (MW)"), max_digits=10, decimal_places=3, null=True, blank=True,
        validators=[MinValueValidator(0)],
    )
    months = models.JSONField(_("months (1–12)"), default=list, blank=True)
    weekdays = models.JSONField(_("weekdays (0 = Monday … 6 = Sunday)"), default=list, blank=True)
    start_time = models.TimeField(_("from (local time)"), null=True, blank=True)
    end_time = models.TimeField(_("until (local time)"), null=True, blank=True)
    time_zone = models.CharField(_("time zone"), max_length=64, default="Europe/Stockholm")
    valid_from = models.DateTimeField(_("valid from"), null=True, blank=True)
    valid_to = models.DateTimeField(_("valid to"), null=True, blank=True)
    note = models.CharField(_("note"), max_length=500, blank=True)

    class Meta:
        ordering = ["assessment_id", "pk"]

    def __str__(self) -> str:
        return self.describe()

    def clean(self) -> None:
        errors = {}
        for name, low, high, label in (("months", 1, 12, _("Months")), ("weekdays", 0, 6, _("Weekdays"))):
            try:
                _validate_int_list(getattr(self, name), low=low, high=high, label=label)
            except ValidationError as exc:
                errors[name] = exc.messages
        if (self.start_time is None) != (self.end_time is None):
            errors["end_time"] = _("Give both clock times of the window, or neither.")
        elif self.start_time is not None and self.start_time == self.end_time:
            errors["end_time"] = _("The window must not start and end at the same time.")
        if self.valid_from and self.valid_to and self.valid_to <= self.valid_from:
            errors["valid_to"] = _("The validity must end after it starts.")
        has_window = bool(self.months or self.weekdays or self.start_time is not None)
        if self.max_up_mw is None and self.max_down_mw is None and not has_window:
            errors["max_up_mw"] = _(
                "A condition needs a cap (MW, per direction) or a time window; "
                "one with neither would be a refusal."
            )
        try:
            validate_time_zone(self.time_zone)
        except ValidationError as exc:
            errors["time_zone"] = exc.messages
        if errors:
            raise ValidationError(errors)

    def applies_at(self, at: datetime) -> bool:
        """Whether the condition binds at the instant `at` (aware), judged in local time."""
        if self.valid_from and at < self.valid_from:
            return False
        if self.valid_to and at >= self.valid_to:
            return False
        local = at.astimezone(zoneinfo.ZoneInfo(self.time_zone))
        if self.months and local.month not in self.months:
            return False
        if self.start_time is None:
            return not self.weekdays or local.weekday() in self.weekdays
        clock = local.time().replace(tzinfo=None)
        if self.start_time < self.end_time:
            inside = self.start_time <= clock < self.end_time
            day = local.weekday()
        else:  # crosses midnight: the early part belongs to the previous day's window
            inside = clock >= self.start_time or clock < self.end_time
            day = local.weekday() if clock >= self.start_time else (local.weekday() - 1) % 7
        return inside and (not self.weekdays or day in self.weekdays)

    def describe(self, *, localized: bool = False) -> str:
        """A one-line human summary, e.g. "up ≤ 2 MW; Dec, Jan, Feb; Mon, …, Fri; 07:00–09:00
        (Europe/Stockholm); valid 2027-01-01 00:00 – 2027-04-01 00:00 (Europe/Stockholm); note: …".

        Read wherever a condition is shown (pages, e-mails, the API, the activation check's
        reasons, the report): its validity and note go with it everywhere. Takes any object
        with the model's fields (the report passes plain values). `localized`: quantities in the
        reader's form ("1 234,5" on a Swedish page); without it as the API and downloads write them
        ("1234.5")."""
        mw = reader_number if localized else plain_number
        parts = []
        if self.max_up_mw is None and self.max_down_mw is None:
            parts.append(str(_("not allowed")))
        if self.max_up_mw is not None:
            parts.append(str(_("up ≤ %(mw)s MW")) % {"mw": mw(self.max_up_mw)})
        if self.max_down_mw is not None:
            parts.append(str(_("down ≤ %(mw)s MW")) % {"mw": mw(self.max_down_mw)})
        if self.months:
            # As Django's date format letters M and D write them, in the active language.
            parts.append(", ".join(str(MONTHS_3[m]).title() for m in sorted(self.months)))
        if self.weekdays:
            parts.append(", ".join(str(WEEKDAYS_ABBR[d]) for d in sorted(self.weekdays)))
        if self.start_time is not None:
            parts.append(f"{self.start_time:%H:%M}–{self.end_time:%H:%M} ({self.time_zone})")
        validity = Condition.describe_validity(self)
        if validity:
            parts.append(validity)
        if self.note:
            parts.append(str(_("note: %(note)s")) % {"note": self.note})
        return "; ".join(parts)

    @property
    def reader_text(self) -> str:
        """describe() for a page: quantities in the reader's form."""
        return self.describe(localized=True)

    def describe_validity(self) -> str:
        """The validity period in the condition's local time, e.g. "valid 2027-01-01 00:00 –
        2027-04-01 00:00 (Europe/Stockholm)"; empty when the condition holds for good."""
        if not (self.valid_from or self.valid_to):
            return ""
        zone = zoneinfo.ZoneInfo(self.time_zone)
        values = {
            "start": self.valid_from and f"{self.valid_from.astimezone(zone):%Y-%m-%d %H:%M}",
            "end": self.valid_to and f"{self.valid_to.astimezone(zone):%Y-%m-%d %H:%M}",
            "zone": self.time_zone,
        }
        if self.valid_from and self.valid_to:
            return str(_("valid %(start)s – %(end)s (%(zone)s)")) % values
        if self.valid_from:
            return str(_("valid from %(start)s (%(zone)s)")) % values
        return str(_("valid until %(end)s (%(zone)s)")) % values
