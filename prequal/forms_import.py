"""The CSV upload form of the SPU import. It checks the upload; prequal.imports decides."""

from __future__ import annotations

from django import forms
from django.conf import settings
from django.utils.translation import gettext_lazy as _

from prequal.models import Fsp


class SpuImportForm(forms.Form):
    file = forms.FileField(
        label=_("CSV file"),
        help_text=_(
            "UTF-8 or Windows-1252 (as Excel saves CSV), separated by commas or semicolons, "
            "with a header row. The template above shows the columns."
        ),
        widget=forms.ClearableFileInput(attrs={"accept": ".csv,text/csv,text/plain"}),
    )
    dry_run = forms.BooleanField(
        label=_("Only check the file (store nothing)"), required=False
    )

    def __init__(self, *args, fsps=None, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        # A user of several FSPs says which one the units belong to.
        if fsps is not None and fsps.count() > 1:
            self.fields = {
                "fsp": forms.ModelChoiceField(
                    queryset=fsps, label=_("FSP"), empty_label=None,
                    help_text=_("The organisation the units belong to."),
                ),
                **self.fields,
            }

    def clean_file(self):
        upload = self.cleaned_data["file"]
        limit = settings.GRIDPREQUAL_MAX_UPLOAD_BYTES
        if upload.size > limit:
            raise forms.ValidationError(
                _("The file is %(size)s MB; the largest file accepted is %(limit)s MB. "
                  "Split it into several files."),
                params={"size": round(upload.size / 1e6, 1), "limit": round(limit / 1e6, 1)},
            )
        return upload

    def chosen_fsp(self) -> Fsp | None:
        return self.cleaned_data.get("fsp")
