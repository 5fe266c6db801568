"""Mounted under /api/ with namespace "api" (config/urls.py)."""

from django.urls import path

from limits import apis

urlpatterns = [
    path("limits/", apis.LimitListCreateApi.as_view(), name="limit-list"),
    path("limits/<int:pk>/", apis.LimitDetailApi.as_view(), name="limit-detail"),
    path("limits/<int:pk>/lift/", apis.LimitLiftApi.as_view(), name="limit-lift"),
    path("activation-check/", apis.ActivationCheckApi.as_view(), name="activation-check"),
]
