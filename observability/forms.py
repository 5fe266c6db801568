"""Forms of the observability-area pages (upload, confirm)."""

from __future__ import annotations

from django import forms
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from observability.models import SystemOperator
from observability.selectors import area_upload_operators_for_user


class AreaUploadForm(forms.Form):
    system_operator = forms.ModelChoiceField(
        label=gettext_lazy("Operator"), queryset=SystemOperator.objects.none(), empty_label=None
    )
    file = forms.FileField(
        label=gettext_lazy("Area file"),
        help_text=gettext_lazy(
            "GeoJSON (.geojson), GeoPackage (.gpkg) or a zipped Shapefile "
            "(.zip with .shp, .shx, .dbf, .prj), in any coordinate system with an EPSG code, "
            "e.g. SWEREF 99 TM (EPSG:3006)."
        ),
    )

    repair = forms.BooleanField(
        label=gettext_lazy("Repair invalid polygons for the preview"),
        required=False,
        help_text=gettext_lazy(
            "Off: an invalid polygon is refused, saying where. On: it is repaired with make_valid and "
            "shown on the preview for you to check before confirming."
        ),
    )

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["system_operator"].queryset = area_upload_operators_for_user(user=user)


class AreaConfirmForm(forms.Form):
    token = forms.UUIDField(widget=forms.HiddenInput)
    valid_from = forms.DateTimeField(
        label=gettext_lazy("Valid from"),
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # The zone the entered time is read in: the installation's (settings.TIME_ZONE).
        self.fields["valid_from"].help_text = _(
            "Local time (%(zone)s). Earlier versions stay and remain viewable."
        ) % {"zone": timezone.get_current_timezone_name()}
