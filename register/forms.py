"""The register's HTML form: an SO engineer's CSV upload (register.services.csv_upload decides)."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _


class _OperatorChoice(forms.ModelChoiceField):
    def label_from_instance(self, obj) -> str:
        return obj.organisation.name


class RecordsUploadForm(forms.Form):
    system_operator = _OperatorChoice(label=_("For operator"), queryset=None, empty_label=None)
    file = forms.FileField(label=_("CSV file"), help_text=_(
        "UTF-8 or Windows-1252 (as Excel saves CSV), comma or semicolon separated, the template's header."
    ))

    def __init__(self, *args, operators, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["system_operator"].queryset = operators
