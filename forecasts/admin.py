"""Admin: the day-ahead publication deadlines per jurisdiction are data, managed here (R12)."""

from __future__ import annotations

from django.contrib import admin

from forecasts.models import PublicationDeadline


@admin.register(PublicationDeadline)
class PublicationDeadlineAdmin(admin.ModelAdmin):
    list_display = ["jurisdiction", "name", "days_before", "local_time", "valid_from", "legal_basis"]
    list_filter = ["jurisdiction"]
