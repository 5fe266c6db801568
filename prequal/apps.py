from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PrequalConfig(AppConfig):
    name = "prequal"
    verbose_name = _("Prequalification")

    def ready(self) -> None:
        # Who sees a connection point depends on units (prequal's) as well as on operators:
        # observability's selector asks the readers that apps above it add here.
        from prequal.selectors.area_impact import area_case_impact_register
        from prequal.selectors.resources import connection_point_readers_register

        connection_point_readers_register()
        # The area preview lists the open cases a new area version touches (cases are prequal's).
        area_case_impact_register()
