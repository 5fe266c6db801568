from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class RegisterConfig(AppConfig):
    name = "register"
    verbose_name = _("Activation register")

    def ready(self) -> None:
        from register import receivers  # noqa: F401  (connects My grid's summary to prequal's signals)
