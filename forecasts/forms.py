"""The SO page's forms: a grid zone upload and a CSV publication. The services decide."""

from __future__ import annotations

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from common.csv_in import CsvIn
from forecasts.models import MTU_CHOICES, Horizon


class _OperatorForm(forms.Form):
    def __init__(self, *args, operators, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields = {
            "system_operator": forms.ModelChoiceField(
                queryset=operators, label=_("System operator"), empty_label=None
            ),
            **self.fields,
        }
        if operators.count() == 1:
            self.fields["system_operator"].widget = forms.HiddenInput()
            self.fields["system_operator"].initial = operators.first().pk


class ZoneUploadForm(_OperatorForm):
    prefix = "zone"
    code = forms.CharField(label=_("Code"), max_length=64, help_text=_("e.g. T12-NORTH"))
    name = forms.CharField(label=_("Name"), max_length=200)
    file = forms.FileField(
        label=_("Area file"),
        required=False,
        help_text=_(
            "GeoJSON, GeoPackage or zipped Shapefile, in any coordinate system with an EPSG code."
        ),
    )
    whole_area = forms.BooleanField(
        label=_("The whole observability area (no file)"), required=False
    )
    repair = forms.BooleanField(label=_("Repair invalid polygons"), required=False)


class PublishForm(_OperatorForm):
    prefix = "publish"
    horizon = forms.ChoiceField(label=_("Horizon"), choices=Horizon.choices)
    mtu_minutes = forms.TypedChoiceField(
        label=_("Market time unit"), choices=MTU_CHOICES, coerce=int, initial=15
    )
    file = forms.FileField(
        label=_("CSV file"),
        help_text=_(
            "UTF-8 or Windows-1252 (as Excel saves CSV), comma or semicolon separated, with the header "
            "zone,start,direction,headroom_mw,level."
        ),
        widget=forms.ClearableFileInput(attrs={"accept": ".csv,text/csv,text/plain"}),
    )

    def csv_file(self) -> CsvIn:
        """The file, read by common.csv_in (it says afterwards how it read it)."""
        return CsvIn(b"".join(self.cleaned_data["file"].chunks()))


class AsOfForm(forms.Form):
    """The moment a resource's forecast is read as of (local time; default now): what was published
    by then, for the 48 hours from it. Not in the future: nothing is published there yet."""

    as_of = forms.DateTimeField(
        label=_("As of"),
        required=False,
        input_formats=["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M"],
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
        help_text=_("What was published and valid at this moment; empty for now."),
    )

    def clean_as_of(self):
        value = self.cleaned_data["as_of"]
        if value is not None and value > timezone.now():
            raise forms.ValidationError(_("Choose a moment in the past, or leave it empty for now."))
        return value

    def moment(self):
        """The moment asked for, or now (also when the form is not valid: its errors show)."""
        if self.is_valid() and self.cleaned_data["as_of"] is not None:
            return self.cleaned_data["as_of"]
        return timezone.now()
