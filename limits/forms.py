"""HTML forms for limits and the activation check. They clean input; limits.services decides.

Times are entered in the operator's local time (SPEC R10) and converted to UTC here.
"""

from __future__ import annotations

import zoneinfo
from datetime import datetime

from django import forms
from django.conf import settings
from django.utils.translation import gettext_lazy as _

from common.number_fields import ReaderDecimalField
from common.pickers import PickerField
from common.text import REASON_MAX_LENGTH
from common.times import InstantError, local_instant
from limits.models import TargetKind
from observability.selectors_pickers import CONNECTION_POINT_PICKER
from prequal.models import Direction
from prequal.selectors.pickers import SPG_PICKER, SPU_PICKER

LOCAL_INPUT = "%Y-%m-%dT%H:%M"


class LocalDateTimeField(forms.DateTimeField):
    """A datetime-local input read in the form's time zone (the operator's), returned aware."""

    widget = forms.DateTimeInput(attrs={"type": "datetime-local", "step": 60}, format=LOCAL_INPUT)
    input_formats = [LOCAL_INPUT, "%Y-%m-%d %H:%M", "%Y-%m-%dT%H:%M:%S", "%Y-%m-%d %H:%M:%S"]

    def __init__(self, *args, **kwargs):
        self.time_zone = settings.TIME_ZONE
        super().__init__(*args, **kwargs)

    def to_python(self, value):
        if value in self.empty_values:
            return None
        if isinstance(value, datetime):
            return value
        for fmt in self.input_formats:
            try:
                naive = datetime.strptime(str(value).strip(), fmt)
            except ValueError:
                continue
            try:
                return local_instant(naive, zoneinfo.ZoneInfo(self.time_zone))
            except InstantError as exc:
                raise forms.ValidationError(str(exc), code="invalid") from None
        raise forms.ValidationError(
            _("Enter a date and time like 2026-03-29 08:00 (local time)."), code="invalid"
        )

    def prepare_value(self, value):
        if isinstance(value, datetime) and value.tzinfo is not None:
            return value.astimezone(zoneinfo.ZoneInfo(self.time_zone)).strftime(LOCAL_INPUT)
        return value


def _set_time_zone(form: forms.Form, time_zone: str) -> None:
    for field in form.fields.values():
        if isinstance(field, LocalDateTimeField):
            field.time_zone = time_zone


class _OperatorChoice(forms.ModelChoiceField):
    def label_from_instance(self, obj) -> str:
        return obj.organisation.name


class LimitForm(forms.Form):
    system_operator = _OperatorChoice(label=_("Issuing operator"), queryset=None, empty_label=None)
    target_kind = forms.ChoiceField(label=_("Target"), choices=TargetKind.choices)
    spu = PickerField(label=_("SPU"), lookup=SPU_PICKER, required=False, help_text=_(
        "Type its code, name, GSRN or FSP and pick from the suggestions."))
    spg = PickerField(label=_("SPG"), lookup=SPG_PICKER, required=False, help_text=_(
        "Type its code, name or FSP and pick from the suggestions."))
    connection_point_gsrn = PickerField(
        label=_("Connection point GSRN"), lookup=CONNECTION_POINT_PICKER, required=False,
        help_text=_("Type the GSRN (18 digits) or its first digits and pick from the suggestions."),
    )
    area = forms.CharField(
        label=_("Area (GeoJSON, WGS84)"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_(
            "Draw the polygon on the map, paste GeoJSON, or upload a .geojson file below. "
            "It is clipped to your observability area."
        ),
    )
    area_file = forms.FileField(label=_("Area file (.geojson)"), required=False)
    direction = forms.ChoiceField(label=_("Direction"), choices=Direction.choices)
    quantity_mw = ReaderDecimalField(
        label=_("Quantity (MW)"),
        max_digits=10,
        decimal_places=3,
        help_text=_("0 blocks the target."),
    )
    start = LocalDateTimeField(label=_("Start (local time)"))
    end = LocalDateTimeField(label=_("End (local time)"))
    reason = forms.CharField(
        label=_("Reason"), max_length=REASON_MAX_LENGTH, widget=forms.Textarea(attrs={"rows": 3})
    )

    forecast_publication = forms.IntegerField(
        label=_("Forecast cited (publication id)"), required=False, min_value=1,
        help_text=_("Optional: the congestion forecast publication that motivated the limit."),
    )
    forecast_zone = forms.CharField(
        label=_("Grid zone cited (code)"), required=False, max_length=64,
        help_text=_("Optional, with the publication: the zone in it, e.g. T12-NORTH."),
    )

    TARGET_PICKERS = {
        TargetKind.SPU: "spu", TargetKind.SPG: "spg", TargetKind.CONNECTION_POINT: "connection_point_gsrn",
    }

    def __init__(self, *args, operators, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["system_operator"].queryset = operators
        for name in self.TARGET_PICKERS.values():
            self.fields[name].user = user
        so = self._chosen_operator(operators)
        if so is not None:
            _set_time_zone(self, so.time_zone)

    def clean(self):
        # Only the chosen kind's target input counts: text left in another one is ignored.
        chosen = self.TARGET_PICKERS.get(self.cleaned_data.get("target_kind"))
        for name in self.TARGET_PICKERS.values():
            if name != chosen:
                self._errors.pop(name, None)
                self.cleaned_data[name] = None
        return super().clean()

    def target_ids(self) -> dict:
        """limit_target_find's keyword arguments for the picked target."""
        data = self.cleaned_data
        point = data.get("connection_point_gsrn")
        return {
            "spu_id": data["spu"].pk if data.get("spu") else None,
            "spg_id": data["spg"].pk if data.get("spg") else None,
            "gsrn": point.gsrn if point else None,
        }

    def _chosen_operator(self, operators):
        key = (self.data.get(self.add_prefix("system_operator")) if self.is_bound
               else self.initial.get("system_operator"))
        if key and str(key).isdigit():
            found = operators.filter(pk=key).first()
            if found is not None:
                return found
        return operators.first()

    def clean_area_file(self):
        upload = self.cleaned_data.get("area_file")
        if upload is None:
            return None
        if upload.size > 5 * 1024 * 1024:
            raise forms.ValidationError(_("The file is larger than 5 MB."))
        try:
            return upload.read().decode("utf-8")
        except UnicodeDecodeError as exc:
            raise forms.ValidationError(_("The file is not UTF-8 GeoJSON text.")) from exc


class LimitEditForm(forms.Form):
    direction = forms.ChoiceField(label=_("Direction"), choices=Direction.choices)
    quantity_mw = ReaderDecimalField(label=_("Quantity (MW)"), max_digits=10, decimal_places=3)
    start = LocalDateTimeField(label=_("Start (local time)"))
    end = LocalDateTimeField(label=_("End (local time)"))
    reason = forms.CharField(
        label=_("Reason"), max_length=REASON_MAX_LENGTH, widget=forms.Textarea(attrs={"rows": 3})
    )

    def __init__(self, *args, time_zone: str, **kwargs):
        super().__init__(*args, **kwargs)
        _set_time_zone(self, time_zone)


class ActivationCheckForm(forms.Form):
    system_operator = _OperatorChoice(label=_("Activating operator"), queryset=None, empty_label=None)
    resource_kind = forms.ChoiceField(label=_("Resource"), choices=[("spu", _("SPU")), ("spg", _("SPG"))])
    resource_id = PickerField(label=_("SPU or SPG"), lookup=SPU_PICKER, help_text=_(
        "Type its code, name, GSRN or FSP and pick from the suggestions."))
    product = forms.ModelChoiceField(label=_("Product"), queryset=None, to_field_name="code")
    direction = forms.ChoiceField(label=_("Direction"), choices=Direction.choices)
    quantity_mw = ReaderDecimalField(label=_("Quantity (MW)"), max_digits=10, decimal_places=3)
    start = LocalDateTimeField(label=_("From (local time)"))
    end = LocalDateTimeField(label=_("Until (local time)"))

    RESOURCE_PICKERS = {"spu": SPU_PICKER, "spg": SPG_PICKER}

    def __init__(self, *args, operators, products, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["system_operator"].queryset = operators
        self.fields["product"].queryset = products
        kind = self.data.get("resource_kind") if self.is_bound else self.initial.get("resource_kind")
        picker = self.fields["resource_id"]
        picker.user = user
        picker.lookup = self.RESOURCE_PICKERS.get(kind, SPU_PICKER)
        picker.switch(field_name="resource_kind", lookups=self.RESOURCE_PICKERS)
        so = None
        key = self.data.get("system_operator") if self.is_bound else self.initial.get("system_operator")
        if key and str(key).isdigit():
            so = operators.filter(pk=key).first()
        so = so or operators.first()
        if so is not None:
            _set_time_zone(self, so.time_zone)
