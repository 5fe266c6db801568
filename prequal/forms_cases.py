"""HTML forms for grid prequalification cases. They clean input; prequal.services.cases decides.

The rules of a decision (R6: what it must contain) live in the service: these forms only turn
the browser's strings into the values the service takes, so the API and the browser refuse
the same things with the same messages.
"""

from __future__ import annotations

import zoneinfo

from django import forms
from django.conf import settings
from django.utils import timezone
from django.utils.dates import MONTHS, WEEKDAYS_ABBR
from django.utils.text import capfirst
from django.utils.translation import gettext_lazy as _

from common.number_fields import ReaderDecimalField
from common.pickers import PickerField
from common.text import JUSTIFICATION_MAX_LENGTH, REASON_MAX_LENGTH
from observability.models import SystemOperator
from prequal.forms import LocalDateTimeInput
from prequal.models import Assessment, Case, Fsp, Product
from prequal.selectors.cases import ATTENTION_REASSESSMENT, ATTENTION_SUPPLIED, WAITING_INFORMATION
from prequal.selectors.periods import DECIDED_LAST_30_DAYS, DECIDED_THIS_MONTH, DUE_WITHIN_7_DAYS
from prequal.selectors.pickers import SPG_PICKER, SPU_PICKER

MONTH_CHOICES = [(m, capfirst(MONTHS[m])) for m in range(1, 13)]
WEEKDAY_CHOICES = [(d, WEEKDAYS_ABBR[d]) for d in range(7)]


class ZonedDateTimeField(forms.DateTimeField):
    """A datetime-local input read in `zone` (the assessing SO's time zone, SPEC R10).

    A wall-clock time that does not exist or is ambiguous around a daylight-saving change is
    refused with Django's message rather than guessed.
    """

    widget = LocalDateTimeInput
    input_formats = ["%Y-%m-%dT%H:%M", "%Y-%m-%dT%H:%M:%S", "%Y-%m-%d %H:%M"]

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.zone = zoneinfo.ZoneInfo(settings.TIME_ZONE)

    def to_python(self, value):
        with timezone.override(self.zone):
            return super().to_python(value)

    def prepare_value(self, value):
        with timezone.override(self.zone):
            return super().prepare_value(value)


# --- FSP ------------------------------------------------------------------------------------


class CaseCreateForm(forms.Form):
    """One SPU or one SPG (by the FSP's own code) and one product."""

    KIND_SPU, KIND_SPG = "spu", "spg"

    fsp = forms.ModelChoiceField(queryset=Fsp.objects.none(), label=_("FSP"), empty_label=None)
    kind = forms.ChoiceField(
        label=_("Apply for"),
        choices=[(KIND_SPU, _("an SPU")), (KIND_SPG, _("an SPG"))],
        widget=forms.RadioSelect,
        initial=KIND_SPU,
    )
    code = PickerField(
        label=_("SPU or SPG"), lookup=SPU_PICKER, initial_by_id=False,
        help_text=_("Your unit or group: type its code (e.g. BAT-0001), name or GSRN and pick it."),
    )
    product = forms.ModelChoiceField(
        queryset=Product.objects.none(), label=_("Product"), empty_label=_("Choose a product"),
    )

    PICKERS = {KIND_SPU: SPU_PICKER, KIND_SPG: SPG_PICKER}

    def __init__(self, *args, user, fsps, products, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.user = user
        self.fields["fsp"].queryset = fsps
        if len(fsps) == 1:
            self.fields["fsp"].initial = fsps[0].pk
            self.fields["fsp"].widget = forms.HiddenInput()
        self.fields["product"].queryset = products
        kind = self.data.get("kind") if self.is_bound else self.initial.get("kind")
        picker = self.fields["code"]
        picker.user = user
        picker.lookup = self.PICKERS.get(kind, SPU_PICKER)
        picker.switch(field_name="kind", lookups=self.PICKERS)
        self.resource = None

    def clean(self):
        data = super().clean()
        fsp, resource = data.get("fsp"), data.get("code")
        if fsp and resource is not None:
            if resource.fsp_id != fsp.pk:
                what = _("SPU") if data.get("kind") == self.KIND_SPU else _("SPG")
                self.add_error("code", _("%(fsp)s has no %(what)s with the code %(code)s.")
                               % {"fsp": fsp, "what": what, "code": resource.code})
            else:
                self.resource = resource
        return data

    def service_kwargs(self) -> dict:
        kind = self.cleaned_data["kind"]
        return {
            "fsp": self.cleaned_data["fsp"],
            "product": self.cleaned_data["product"],
            "spu": self.resource if kind == self.KIND_SPU else None,
            "spg": self.resource if kind == self.KIND_SPG else None,
        }


class CaseWithdrawForm(forms.Form):
    reason = forms.CharField(
        label=_("Why do you withdraw the application? (optional)"), required=False,
        max_length=REASON_MAX_LENGTH,
        widget=forms.Textarea(attrs={"rows": 2}),
    )


class SupplyInformationForm(forms.Form):
    information = forms.CharField(
        label=_("The missing information"), max_length=JUSTIFICATION_MAX_LENGTH,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_("Answer what the system operator listed as missing. Every stopped clock restarts."),
    )


DECISION_OUTCOMES = [(s.value, s.label) for s in Assessment.DECIDED]


class CaseFilterForm(forms.Form):
    status = forms.ChoiceField(
        label=_("Status"), required=False, choices=[("", _("All"))] + list(Case.Status.choices)
    )
    product = forms.ModelChoiceField(
        label=_("Product"), required=False, queryset=Product.objects.none(), empty_label=_("All")
    )
    # The dashboards' links (?decided=this-month&outcome=not_approved, ?operator=12, ?waiting=…).
    decided = forms.ChoiceField(label=_("Decided"), required=False)
    outcome = forms.ChoiceField(
        label=_("Decision"), required=False, choices=[("", _("All"))] + DECISION_OUTCOMES
    )
    operator = forms.ModelChoiceField(
        label=_("Assessed by"), required=False, queryset=SystemOperator.objects.none(), empty_label=_("All")
    )
    waiting = forms.ChoiceField(
        label=_("Waiting"), required=False,
        choices=[("", _("All")), (WAITING_INFORMATION, _("for the FSP's information"))],
    )

    def __init__(self, *args, products, operators=None, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["product"].queryset = products
        if operators is not None:
            self.fields["operator"].queryset = operators
        year = timezone.localdate().year
        self.fields["decided"].choices = [
            ("", _("Any time")),
            (DECIDED_THIS_MONTH, _("This month")),
            (DECIDED_LAST_30_DAYS, _("In the last 30 days")),
            *((str(y), str(y)) for y in range(year, year - 5, -1)),
        ]


# --- SO -------------------------------------------------------------------------------------


class QueueFilterForm(forms.Form):
    product = forms.ModelChoiceField(
        label=_("Product"), required=False, queryset=Product.objects.none(), empty_label=_("All")
    )
    status = forms.ChoiceField(
        label=_("Status"), required=False,
        choices=[("", _("All open"))] + [(s.value, s.label) for s in Assessment.OPEN],
    )
    connecting_so = forms.ModelChoiceField(
        label=_("Connecting SO"), required=False, queryset=SystemOperator.objects.none(),
        empty_label=_("All"),
    )
    # The dashboards' links (?due=7d, ?overdue=1, ?attention=supplied).
    due = forms.ChoiceField(
        label=_("Due"), required=False,
        choices=[("", _("Any time")), (DUE_WITHIN_7_DAYS, _("Within 7 days"))],
    )
    overdue = forms.BooleanField(label=_("Overdue only"), required=False)
    attention = forms.ChoiceField(
        label=_("Back with you"), required=False,
        choices=[
            ("", _("All")),
            (ATTENTION_SUPPLIED, _("Information supplied")),
            (ATTENTION_REASSESSMENT, _("Returned for re-assessment")),
        ],
    )

    def __init__(self, *args, products, operators, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["product"].queryset = products
        self.fields["connecting_so"].queryset = operators


class DecisionForm(forms.Form):
    OUTCOME_CHOICES = [
        (Assessment.Status.APPROVED.value, _("Approve")),
        (Assessment.Status.CONDITIONALLY_APPROVED.value, _("Approve with conditions")),
        (Assessment.Status.NOT_APPROVED.value, _("Refuse")),
    ]

    outcome = forms.ChoiceField(label=_("Decision"), choices=OUTCOME_CHOICES, widget=forms.RadioSelect)
    reason = forms.CharField(
        label=_("Reason"), required=False, max_length=JUSTIFICATION_MAX_LENGTH,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("Required for an approval with conditions: why the conditions are needed."),
    )
    justification = forms.CharField(
        label=_("Justification"), required=False, max_length=JUSTIFICATION_MAX_LENGTH,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("Required for a refusal: the grid reason for refusing."),
    )
    limits_explanation = forms.CharField(
        label=_("Why temporary limits cannot resolve the issue"), required=False,
        max_length=JUSTIFICATION_MAX_LENGTH,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("Required for a refusal (NC DR): why limiting the unit for a period is not enough."),
    )
    excluded_members = forms.TypedMultipleChoiceField(
        label=_("Leave these members out"), required=False, coerce=int,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("For a group: approve it except these members; they do not count toward its "
                    "capacity. Say why in the reason."),
    )
    # When the engineer loaded the page (the assessment's updated_at): a decision taken on a
    # copy that changed since is refused as "changed meanwhile".
    seen = forms.CharField(widget=forms.HiddenInput)

    def __init__(self, *args, members=(), **kwargs):
        """`members`: (SPU id, label) of the group's current members; none for an SPU's case."""
        super().__init__(*args, **kwargs)
        if members:
            self.fields["excluded_members"].choices = list(members)
        else:
            del self.fields["excluded_members"]


class ConditionForm(forms.Form):
    """One condition of a conditional approval; a blank row is ignored."""

    max_up_mw = ReaderDecimalField(
        label=_("Max up (MW)"), required=False, min_value=0, max_digits=10, decimal_places=3
    )
    max_down_mw = ReaderDecimalField(
        label=_("Max down (MW)"), required=False, min_value=0, max_digits=10, decimal_places=3
    )
    months = forms.TypedMultipleChoiceField(
        label=_("Months"), required=False, choices=MONTH_CHOICES, coerce=int,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("None ticked: every month."),
    )
    weekdays = forms.TypedMultipleChoiceField(
        label=_("Weekdays"), required=False, choices=WEEKDAY_CHOICES, coerce=int,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("None ticked: every day."),
    )
    start_time = forms.TimeField(
        label=_("From (local time)"), required=False,
        widget=forms.TimeInput(attrs={"type": "time"}, format="%H:%M"),
    )
    end_time = forms.TimeField(
        label=_("Until (local time)"), required=False,
        widget=forms.TimeInput(attrs={"type": "time"}, format="%H:%M"),
        help_text=_("A window may cross midnight (22:00–06:00). No times: the whole day."),
    )
    valid_from = ZonedDateTimeField(label=_("Valid from"), required=False)
    valid_to = ZonedDateTimeField(label=_("Valid until"), required=False)
    note = forms.CharField(label=_("Note"), required=False, max_length=500)

    def __init__(self, *args, time_zone: str | None = None, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        if time_zone:
            for name in ("valid_from", "valid_to"):
                self.fields[name].zone = zoneinfo.ZoneInfo(time_zone)

    def condition(self) -> dict | None:
        """The condition as the service takes it; None for a row left blank."""
        data = getattr(self, "cleaned_data", None) or {}
        values = {k: v for k, v in data.items() if v not in (None, "", [])}
        return values or None


ConditionFormSet = forms.formset_factory(ConditionForm, extra=3, max_num=10, validate_max=True)


class DeclareIncompleteForm(forms.Form):
    missing_information = forms.CharField(
        label=_("What is missing"), max_length=JUSTIFICATION_MAX_LENGTH,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_("Your operator may declare a case incomplete once. Every clock stops until the FSP "
                    "supplies it; without it, the case is withdrawn after the supplement period."),
    )
