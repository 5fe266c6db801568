"""The URLconf of the lean entry for market platforms (config/settings_lean.py).

The same view as under config.urls, with the same error answers under /api/; a path outside
it is a JSON 404 too (common.views.api_not_found), since this entry serves API clients only and
the site's 404 page links to pages it does not have. Only the middleware in front differs.
"""

from django.urls import path

from config.urls import handler400, handler500  # noqa: F401
from limits import apis

handler404 = "common.views.api_not_found"

urlpatterns = [
    path("api/activation-check/", apis.ActivationCheckApi.as_view(), name="activation-check"),
]
