"""The paths the lean request cycle answers for token clients (see common/lean.py).

The same views as under config.urls: only the middleware in front of them differs.
"""

from django.urls import path

from limits import apis

urlpatterns = [
    path("api/activation-check/", apis.ActivationCheckApi.as_view(), name="activation-check"),
]
