from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class LimitsConfig(AppConfig):
    name = "limits"
    verbose_name = _("Temporary limits")

    def ready(self) -> None:
        from limits.activation.access import forecast_readers_register, register_callers_hand_over
        from limits.activation.headroom_guard import sum_guard_hand_over

        # Market platform clients are limits'; forecasts reads their registrations through this.
        forecast_readers_register()
        # The register (below limits) scopes market platform clients as the activation check does.
        register_callers_hand_over()
        # The register's ingest refuses records beyond a point or area limit (SPEC R11) by this rule.
        sum_guard_hand_over()
