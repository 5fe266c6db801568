from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class LimitsConfig(AppConfig):
    name = "limits"
    verbose_name = _("Temporary limits")

    def ready(self) -> None:
        # Market platform clients are limits'; forecasts reads their registrations through this.
        from limits.activation.access import forecast_readers_register

        forecast_readers_register()
