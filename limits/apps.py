from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class LimitsConfig(AppConfig):
    name = "limits"
    verbose_name = _("Temporary limits")

    def ready(self) -> None:
        # The register (below limits) scopes market platform clients as the activation check does.
        from limits.activation.access import register_callers_hand_over

        register_callers_hand_over()
