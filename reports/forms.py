"""The report page's choices: year, operator, tier (all optional but the year)."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from observability.models import SystemOperator


class ReportFilterForm(forms.Form):
    year = forms.IntegerField(label=_("Year"), min_value=2000, max_value=2100)
    operator = forms.ModelChoiceField(
        label=_("Operator"), queryset=SystemOperator.objects.none(), required=False,
        empty_label=_("All operators"),
    )
    tier = forms.ChoiceField(
        label=_("Tier"), required=False, choices=[("", _("All tiers")), *SystemOperator.Tier.choices]
    )

    def __init__(self, *args, operators, years: list[int], **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["operator"].queryset = operators
        if years:
            # Labels as text: a number would be localized ("2 026").
            self.fields["year"].widget = forms.Select(choices=[(y, str(y)) for y in years])
