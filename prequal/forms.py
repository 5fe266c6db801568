"""HTML forms for FSP resources. They clean input; the services in prequal.services decide."""

from __future__ import annotations

import zoneinfo

from django import forms
from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.functional import lazy
from django.utils.translation import gettext_lazy as _

from common.number_fields import ReaderDecimalField
from common.pickers import PickerField
from common.text import CodeOrNameFormField
from common.validators import validate_bidding_zone, validate_gsrn
from observability.geo import COMMON_CRS, WGS84
from observability.models import ConnectionPoint, ConnectionPointLocationConfirmation, SystemOperator
from prequal.models import Fsp, Spu
from prequal.selectors.pickers import SPU_PICKER

# Times are entered and shown in this zone (SPEC R10); stored in UTC.
LOCAL_TZ = zoneinfo.ZoneInfo(settings.TIME_ZONE)

# `lazy_text % values` translates at import; this waits for the request's language.
_with_tz = lazy(lambda text: str(text) % {"tz": settings.TIME_ZONE}, str)


def form_add_service_errors(
    form: forms.Form, exc: ValidationError, *, field_map: dict[str, str] | None = None
) -> None:
    """Put a service's ValidationError on the form: each message on its field.

    Keys the form has no field for (model-only fields such as `latitude`) are renamed
    through `field_map`, or shown as form-wide errors.
    """
    field_map = field_map or {}
    if not hasattr(exc, "error_dict"):
        form.add_error(None, exc)
        return
    for key, errors in exc.error_dict.items():
        name = field_map.get(key, key)
        if name not in form.fields:
            name = None
        for error in errors:
            form.add_error(name, error)


class BiddingZoneField(forms.CharField):
    """A bidding zone, upper-cased before it is checked ("se3" is SE3)."""

    default_validators = [validate_bidding_zone]

    def to_python(self, value):
        return super().to_python(value).upper()


class LocalDateTimeInput(forms.DateTimeInput):
    input_type = "datetime-local"

    def __init__(self, attrs=None):
        super().__init__(attrs=attrs, format="%Y-%m-%dT%H:%M")


class LocalDateTimeField(forms.DateTimeField):
    """A datetime-local input read and shown in LOCAL_TZ, whatever zone is active.

    A wall-clock time that does not exist or is ambiguous around a daylight-saving change
    is refused with a message rather than guessed.
    """

    widget = LocalDateTimeInput
    input_formats = ["%Y-%m-%dT%H:%M", "%Y-%m-%dT%H:%M:%S", "%Y-%m-%d %H:%M", "%Y-%m-%d %H:%M:%S"]

    def to_python(self, value):
        with timezone.override(LOCAL_TZ):
            return super().to_python(value)

    def prepare_value(self, value):
        with timezone.override(LOCAL_TZ):
            return super().prepare_value(value)


def _fsp_field(fsps) -> forms.ModelChoiceField:
    return forms.ModelChoiceField(
        queryset=fsps, label=_("FSP"), help_text=_("The organisation you act for."),
        empty_label=None,
    )


class FspChoiceMixin:
    """Adds an `fsp` choice when the user acts for several FSPs (read by fsp_for_user)."""

    def _setup_fsp(self, fsps) -> None:
        self.fsps = fsps
        if fsps is not None and len(fsps) > 1:
            self.fields = {"fsp": _fsp_field(fsps), **self.fields}

    def chosen_fsp(self) -> Fsp | None:
        return self.cleaned_data.get("fsp")


def _capacity_field(label) -> ReaderDecimalField:
    return ReaderDecimalField(
        label=label, min_value=0, max_digits=12, decimal_places=3,
        help_text=_("Kilowatts, 0 or more; up to three decimals."),
    )


def _gsrn_field(help_text) -> forms.CharField:
    return forms.CharField(
        label=_("Connection point (GSRN)"), min_length=18, max_length=18,
        validators=[validate_gsrn], help_text=help_text,
    )


class SpuForm(FspChoiceMixin, forms.Form):
    """Register an SPU at a connection point; a new point is registered with it."""

    code = CodeOrNameFormField(
        label=_("Code"), max_length=64,
        help_text=_("Your own identifier for the unit, unique within your organisation."),
    )
    name = CodeOrNameFormField(label=_("Name"), max_length=200)
    technology = forms.ChoiceField(label=_("Technology"), choices=Spu.Technology.choices)
    max_up_kw = _capacity_field(_("Maximum up (kW)"))
    max_down_kw = _capacity_field(_("Maximum down (kW)"))
    gsrn = _gsrn_field(_(
        "The 18-digit metering point id. If it is not registered yet, fill in the "
        "connection point details below."
    ))
    connecting_so = forms.ModelChoiceField(
        label=_("Connecting system operator"), required=False,
        queryset=SystemOperator.objects.select_related("organisation"),
        help_text=_("Needed for a new connection point; for a registered one it must match."),
    )
    crs = forms.TypedChoiceField(
        label=_("Coordinate system"), choices=COMMON_CRS, coerce=int, initial=WGS84,
        help_text=_("WGS84: x is longitude and y latitude in degrees. "
                    "SWEREF99 TM: x is easting and y northing in metres."),
    )
    x = forms.FloatField(label=_("x (longitude or easting)"), required=False)
    y = forms.FloatField(label=_("y (latitude or northing)"), required=False)
    voltage_level = forms.ChoiceField(
        label=_("Voltage level"), required=False,
        choices=[("", "---------"), *ConnectionPoint.VoltageLevel.choices],
    )
    bidding_zone = BiddingZoneField(
        label=_("Bidding zone"), required=False, max_length=10,
        help_text=_("For example SE3: one of the connecting operator's zones."),
    )
    confirm_outside_area = forms.BooleanField(
        label=_("The location is right although it lies outside the operator's observability area"),
        required=False,
        help_text=_("Only when the form says the point lies outside the area and you are sure."),
    )
    outside_area_reason = forms.CharField(
        label=_("Why the point lies outside the area"), required=False,
        max_length=ConnectionPointLocationConfirmation.REASON_MAX_LENGTH,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("Kept with the connection point for the system operators."),
    )

    # Service error keys that have a differently named field here.
    FIELD_MAP = {"longitude": "x", "latitude": "y", "epsg": "crs", "connection_point": "gsrn"}
    CONNECTION_POINT_FIELDS = (
        "connecting_so", "crs", "x", "y", "voltage_level", "bidding_zone",
        "confirm_outside_area", "outside_area_reason",
    )

    def __init__(self, *args, fsps=None, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self._setup_fsp(fsps)

    def clean_code(self) -> str:
        return self.cleaned_data["code"].strip()

    def clean_gsrn(self) -> str:
        return self.cleaned_data["gsrn"].strip()

    def service_kwargs(self) -> dict:
        data = self.cleaned_data
        return {
            "gsrn": data["gsrn"], "code": data["code"], "name": data["name"],
            "technology": data["technology"], "max_up_kw": data["max_up_kw"],
            "max_down_kw": data["max_down_kw"], "connecting_so": data.get("connecting_so"),
            "x": data.get("x"), "y": data.get("y"), "epsg": data.get("crs") or WGS84,
            "voltage_level": data.get("voltage_level") or None,
            "bidding_zone": data.get("bidding_zone") or None,
            "confirm_outside_area": bool(data.get("confirm_outside_area")),
            "outside_area_reason": data.get("outside_area_reason") or "",
        }


class SpuEditForm(forms.Form):
    """Change an SPU's name, technology or capacity, or move it to another registered point."""

    name = CodeOrNameFormField(label=_("Name"), max_length=200)
    technology = forms.ChoiceField(label=_("Technology"), choices=Spu.Technology.choices)
    max_up_kw = _capacity_field(_("Maximum up (kW)"))
    max_down_kw = _capacity_field(_("Maximum down (kW)"))
    gsrn = _gsrn_field(_("Changing it moves the unit to another registered connection point."))

    FIELD_MAP = {"connection_point": "gsrn"}

    def __init__(self, *args, spu: Spu, **kwargs) -> None:
        kwargs.setdefault("initial", {
            "name": spu.name, "technology": spu.technology, "max_up_kw": spu.max_up_kw,
            "max_down_kw": spu.max_down_kw, "gsrn": spu.connection_point.gsrn,
        })
        super().__init__(*args, **kwargs)
        self.spu = spu

    def clean_gsrn(self) -> str:
        gsrn = self.cleaned_data["gsrn"].strip()
        if gsrn == self.spu.connection_point.gsrn:
            self.connection_point = self.spu.connection_point
            return gsrn
        self.connection_point = ConnectionPoint.objects.filter(gsrn=gsrn).first()
        if self.connection_point is None:
            raise ValidationError(
                _("No connection point %(gsrn)s is registered: register a new unit there instead."),
                params={"gsrn": gsrn}, code="unknown_gsrn",
            )
        return gsrn

    def changes(self) -> dict:
        """Only what changed, so that a save without changes does not count as material."""
        data = self.cleaned_data
        new = {
            "name": data["name"], "technology": data["technology"],
            "max_up_kw": data["max_up_kw"], "max_down_kw": data["max_down_kw"],
            "connection_point": self.connection_point,
        }
        return {k: v for k, v in new.items() if getattr(self.spu, k) != v}


class SpgForm(FspChoiceMixin, forms.Form):
    code = CodeOrNameFormField(
        label=_("Code"), max_length=64,
        help_text=_("Your own identifier for the group, unique within your organisation."),
    )
    name = CodeOrNameFormField(label=_("Name"), max_length=200)
    bidding_zone = BiddingZoneField(
        label=_("Bidding zone"), max_length=10,
        help_text=_("Every member must connect in this zone, for example SE3."),
    )

    FIELD_MAP: dict[str, str] = {}

    def __init__(self, *args, fsps=None, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self._setup_fsp(fsps)

    def clean_code(self) -> str:
        return self.cleaned_data["code"].strip()


class SpgEditForm(forms.Form):
    name = CodeOrNameFormField(label=_("Name"), max_length=200)

    FIELD_MAP: dict[str, str] = {}


class SpgMemberAddForm(forms.Form):
    """Add one of the FSP's active SPUs in the group's bidding zone, for a period."""

    spu = PickerField(label=_("SPU"), lookup=SPU_PICKER)
    valid_from = LocalDateTimeField(
        label=_("From"), required=False,
        help_text=_with_tz(_("Local time (%(tz)s). Empty: from now.")),
    )
    valid_to = LocalDateTimeField(
        label=_("Until"), required=False,
        help_text=_with_tz(_("Local time (%(tz)s). Empty: until further notice.")),
    )

    FIELD_MAP: dict[str, str] = {}

    def __init__(self, *args, spg, user, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.spg = spg
        picker = self.fields["spu"]
        picker.user = user
        # Only the group's FSP's active units in its bidding zone, in the suggestions and on submit.
        picker.picker_params(fsp=spg.fsp_id, zone=spg.bidding_zone, active=1)
        picker.error_messages["unknown"] = _(
            "Choose one of your active SPUs in bidding zone %(zone)s."
        ) % {"zone": spg.bidding_zone}

    @property
    def has_candidates(self) -> bool:
        picker = self.fields["spu"]
        return picker.lookup.scope(picker.user, picker.params).exists()


class SpgMemberEndForm(forms.Form):
    at = LocalDateTimeField(
        label=_("End at"), required=False,
        help_text=_with_tz(_("Local time (%(tz)s). Empty: now.")),
    )

    FIELD_MAP = {"valid_to": "at"}


class SpuFilterForm(forms.Form):
    STATUS_CHOICES = [("active", _("Active")), ("inactive", _("Deactivated")), ("all", _("All"))]

    status = forms.ChoiceField(label=_("Status"), choices=STATUS_CHOICES, required=False)
    technology = forms.ChoiceField(
        label=_("Technology"), required=False, choices=[("", _("Any")), *Spu.Technology.choices]
    )
    q = forms.CharField(label=_("Search"), required=False, max_length=100,
                        help_text=_("Code, name, GSRN or FSP"))


class SpgFilterForm(forms.Form):
    status = forms.ChoiceField(label=_("Status"), choices=SpuFilterForm.STATUS_CHOICES, required=False)
    bidding_zone = forms.CharField(label=_("Bidding zone"), required=False, max_length=10)
    q = forms.CharField(label=_("Search"), required=False, max_length=100,
                        help_text=_("Code, name or FSP"))
