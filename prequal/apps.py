from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PrequalConfig(AppConfig):
    name = "prequal"
    verbose_name = _("Prequalification")
