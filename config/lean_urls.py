"""The URLconf of the lean entry for market platforms (config/settings_lean.py).

The same view as under config.urls, with the same error pages (JSON under /api/): only the
middleware in front of it differs.
"""

from django.urls import path

from config.urls import handler400, handler404, handler500  # noqa: F401
from limits import apis

urlpatterns = [
    path("api/activation-check/", apis.ActivationCheckApi.as_view(), name="activation-check"),
]
