"""Admin: market platform clients are managed here; limits and their history are read-only."""

from __future__ import annotations

from django.contrib import admin

from limits.models import LimitEvent, LimitRefusal, MarketPlatformClient, TemporaryLimit


@admin.register(MarketPlatformClient)
class MarketPlatformClientAdmin(admin.ModelAdmin):
    list_display = ["name", "user", "is_active", "created_at"]
    list_filter = ["is_active"]
    search_fields = ["name", "user__username"]
    raw_id_fields = ["user"]
    filter_horizontal = ["system_operators"]


class _ReadOnly(admin.ModelAdmin):
    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


class LimitEventInline(admin.TabularInline):
    model = LimitEvent
    extra = 0
    can_delete = False
    fields = ["at", "action", "actor", "before", "after"]
    readonly_fields = fields

    def has_add_permission(self, request, obj=None) -> bool:
        return False


@admin.register(TemporaryLimit)
class TemporaryLimitAdmin(_ReadOnly):
    list_display = [
        "pk",
        "system_operator",
        "target_kind",
        "direction",
        "quantity_mw",
        "start",
        "end",
        "lifted_at",
    ]
    list_filter = ["target_kind", "direction", "system_operator"]
    date_hierarchy = "start"
    inlines = [LimitEventInline]


@admin.register(LimitRefusal)
class LimitRefusalAdmin(_ReadOnly):
    list_display = [
        "at",
        "system_operator",
        "actor",
        "target_description",
        "requested_start",
        "latest_allowed_at",
    ]
    list_filter = ["system_operator"]
