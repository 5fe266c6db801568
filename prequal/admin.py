from django.contrib import admin

from prequal.models import Fsp, Product, Spg, SpgMembership, Spu


@admin.register(Fsp)
class FspAdmin(admin.ModelAdmin):
    search_fields = ["organisation__name", "organisation__eic_code"]
    autocomplete_fields = ["organisation"]
    list_select_related = ["organisation"]


@admin.register(Product)
class ProductAdmin(admin.ModelAdmin):
    list_display = ["code", "name", "kind", "procuring_so", "directions",
                    "market_time_unit_minutes", "gate_closure_minutes", "is_active"]
    list_filter = ["kind", "is_active"]
    search_fields = ["code", "name"]
    autocomplete_fields = ["procuring_so"]


@admin.register(Spu)
class SpuAdmin(admin.ModelAdmin):
    list_display = ["code", "name", "fsp", "connection_point", "technology", "max_up_kw",
                    "max_down_kw", "is_active"]
    list_filter = ["technology", "is_active"]
    search_fields = ["code", "name", "connection_point__gsrn"]
    autocomplete_fields = ["fsp", "connection_point"]
    list_select_related = ["fsp__organisation", "connection_point"]


class SpgMembershipInline(admin.TabularInline):
    model = SpgMembership
    extra = 0
    autocomplete_fields = ["spu"]


@admin.register(Spg)
class SpgAdmin(admin.ModelAdmin):
    list_display = ["code", "name", "fsp", "bidding_zone", "is_active"]
    list_filter = ["bidding_zone", "is_active"]
    search_fields = ["code", "name"]
    autocomplete_fields = ["fsp"]
    inlines = [SpgMembershipInline]
