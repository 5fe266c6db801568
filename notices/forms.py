from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from notices.models import Notification


class EmailPreferencesForm(forms.Form):
    email_kinds = forms.MultipleChoiceField(
        label=_("Also by e-mail"), choices=Notification.Kind.choices, required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("Every notification appears in the app; ticked kinds also come by e-mail."),
    )
