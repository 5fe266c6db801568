from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from attachments.models import Attachment
from attachments.selectors import AttachRights


class AttachmentForm(forms.Form):
    """Attach a file: the FSP to its application, an SO engineer to its assessment."""

    file = forms.FileField(label=_("File"), allow_empty_file=True)
    kind = forms.ChoiceField(label=_("Kind"))
    assessment = forms.TypedChoiceField(label=_("Assessment"), coerce=int, required=False, empty_value=None)

    def __init__(self, *args, rights: AttachRights, as_so: bool, **kwargs):
        super().__init__(*args, **kwargs)
        kinds = Attachment.SO_KINDS if as_so else Attachment.FSP_KINDS
        self.fields["kind"].choices = [(k.value, k.label) for k in kinds]
        if as_so:
            self.fields["kind"].initial = Attachment.Kind.GRID_STUDY
            self.fields["assessment"].required = True
            self.fields["assessment"].choices = [(a.pk, str(a.system_operator)) for a in rights.assessments]
            self.fields["assessment"].initial = rights.assessments[0].pk if rights.assessments else None
        else:
            del self.fields["assessment"]
