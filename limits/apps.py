from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class LimitsConfig(AppConfig):
    name = "limits"
    verbose_name = _("Temporary limits")

    def ready(self) -> None:
        # Market platform clients are limits'; forecasts (a layer below) reads forecasts for the
        # operators a client is registered for through the reader handed over here.
        from forecasts.access import platform_registrations_reader_set
        from limits.activation.access import platform_registrations

        platform_registrations_reader_set(platform_registrations)
