from django.contrib import admin

from observability.models import ConnectionPoint, ConnectionPointLocationConfirmation, SystemOperator


@admin.register(SystemOperator)
class SystemOperatorAdmin(admin.ModelAdmin):
    list_display = ["__str__", "tier", "upstream", "bidding_zones", "time_zone"]
    list_filter = ["tier"]
    search_fields = ["organisation__name", "organisation__eic_code"]
    autocomplete_fields = ["organisation", "upstream"]
    list_select_related = ["organisation", "upstream__organisation"]


class LocationConfirmationInline(admin.StackedInline):
    """Why a point outside its operator's area was registered there (read-only: kept as given)."""

    model = ConnectionPointLocationConfirmation
    extra = 0
    can_delete = False
    readonly_fields = ["reason", "confirmed_by", "confirmed_at"]

    def has_add_permission(self, request, obj=None) -> bool:
        return False


@admin.register(ConnectionPoint)
class ConnectionPointAdmin(admin.ModelAdmin):
    list_display = ["gsrn", "connecting_so", "bidding_zone", "voltage_level", "latitude", "longitude"]
    list_filter = ["bidding_zone", "voltage_level"]
    search_fields = ["gsrn"]
    autocomplete_fields = ["connecting_so"]
    list_select_related = ["connecting_so__organisation"]
    inlines = [LocationConfirmationInline]
