from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from prequal.models import (
    Assessment,
    AssessmentReminder,
    Case,
    CaseEvent,
    Condition,
    DeadlineRule,
    Fsp,
    Product,
    Spg,
    SpgMembership,
    Spu,
)


@admin.register(Fsp)
class FspAdmin(admin.ModelAdmin):
    search_fields = ["organisation__name", "organisation__eic_code"]
    autocomplete_fields = ["organisation"]
    list_select_related = ["organisation"]


@admin.register(Product)
class ProductAdmin(admin.ModelAdmin):
    list_display = ["code", "name", "kind", "procuring_so", "directions",
                    "market_time_unit_minutes", "gate_closure_minutes", "gate_closure_days_ahead",
                    "gate_closure_local_time", "is_active"]
    list_filter = ["kind", "is_active"]
    search_fields = ["code", "name", "name_sv"]
    autocomplete_fields = ["procuring_so"]


class ReadOnly:
    """An admin (or inline) that shows rows and changes none: they change only through services."""

    def has_add_permission(self, request, obj=None) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


@admin.register(Spu)
class SpuAdmin(admin.ModelAdmin):
    list_display = ["code", "name", "fsp", "connection_point", "technology", "max_up_kw",
                    "max_down_kw", "is_active"]
    list_filter = ["technology", "is_active"]
    search_fields = ["code", "name", "connection_point__gsrn"]
    autocomplete_fields = ["fsp", "connection_point"]
    list_select_related = ["fsp__organisation", "connection_point"]

    def get_readonly_fields(self, request, obj=None):
        # A unit moves only through prequal.services.resources.spu_update: who reads it (SPEC §4),
        # its cases (R2) and what the register holds where (register.services.held_points) follow.
        return ["connection_point"] if obj is not None else []


class SpgMembershipInline(ReadOnly, admin.TabularInline):
    """Shown, not changed: members join and leave through prequal.services.resources (who
    reads the group, its cases, and what the register holds at each member's point follow)."""

    model = SpgMembership
    extra = 0
    fields = readonly_fields = ["spu", "valid_from", "valid_to"]


@admin.register(Spg)
class SpgAdmin(admin.ModelAdmin):
    list_display = ["code", "name", "fsp", "bidding_zone", "is_active"]
    list_filter = ["bidding_zone", "is_active"]
    search_fields = ["code", "name", "name_sv"]
    autocomplete_fields = ["fsp"]
    inlines = [SpgMembershipInline]


# --- Grid prequalification workflow ---------------------------------------------------------
# Cases and assessments change only through prequal.services.cases (transitions, audit rows,
# notifications), so the admin shows them read-only. Deadline rules are data: editable.

@admin.register(DeadlineRule)
class DeadlineRuleAdmin(admin.ModelAdmin):
    list_display = ["name", "jurisdiction", "product_kind", "legal_basis", "period_months", "period_days",
                    "supplement_period_days", "reminder_days", "outcome_validity_months", "valid_from"]
    list_filter = ["jurisdiction", "product_kind"]
    search_fields = ["name", "legal_basis"]
    ordering = ["jurisdiction", "product_kind", "-valid_from"]

    def has_delete_permission(self, request, obj=None) -> bool:
        # A rule that deadlines were computed from stays, for the record (new versions instead).
        return super().has_delete_permission(request, obj) and not (obj and obj.assessments.exists())


class ReadOnlyAdmin(ReadOnly, admin.ModelAdmin):
    """Visible to admins, changed only by the workflow services."""


class AssessmentInline(admin.TabularInline):
    model = Assessment
    extra = 0
    fields = ["round", "system_operator", "status", "deadline", "deadline_rule", "decided_by", "decided_at"]
    readonly_fields = fields
    can_delete = False
    show_change_link = True

    def has_add_permission(self, request, obj=None) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False


class CaseEventInline(admin.TabularInline):
    model = CaseEvent
    extra = 0
    fields = ["at", "assessment", "action", "from_state", "to_state", "actor", "via", "reason_shown"]
    readonly_fields = fields
    can_delete = False
    ordering = ["at", "pk"]

    @admin.display(description=_("reason"))
    def reason_shown(self, obj: CaseEvent) -> str:
        return obj.reason_text()  # a composed reason in the admin's language

    def has_add_permission(self, request, obj=None) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False


@admin.register(Case)
class CaseAdmin(ReadOnlyAdmin):
    list_display = ["id", "fsp", "spu", "spg", "product", "status", "round", "submitted_at", "decided_at",
                    "valid_until"]
    list_filter = ["status", "product"]
    search_fields = ["id", "spu__code", "spg__code", "fsp__organisation__name"]
    list_select_related = ["fsp__organisation", "spu", "spg", "product"]
    inlines = [AssessmentInline, CaseEventInline]


class ConditionInline(admin.TabularInline):
    model = Condition
    extra = 0
    can_delete = False
    fields = ["max_up_mw", "max_down_mw", "months", "weekdays", "start_time", "end_time", "time_zone",
              "valid_from", "valid_to", "note"]
    readonly_fields = fields

    def has_add_permission(self, request, obj=None) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False


@admin.register(Assessment)
class AssessmentAdmin(ReadOnlyAdmin):
    list_display = ["id", "case", "round", "system_operator", "status", "deadline", "decided_at"]
    list_filter = ["status", "system_operator"]
    search_fields = ["case__id"]
    list_select_related = ["case__spu", "case__spg", "case__product", "system_operator__organisation"]
    inlines = [ConditionInline]


@admin.register(CaseEvent)
class CaseEventAdmin(ReadOnlyAdmin):
    """The audit trail: immutable (SPEC R2). No add, change or delete, not even for superusers."""

    list_display = ["at", "case", "assessment", "action", "from_state", "to_state", "who", "reason_shown"]
    list_filter = ["via", "action", "to_state"]
    search_fields = ["case__id", "reason", "actor__username"]
    list_select_related = ["actor", "assessment__system_operator__organisation", "case__product",
                           "case__spu", "case__spg"]
    date_hierarchy = "at"

    def get_actions(self, request):
        return {}  # not even "delete selected"

    @admin.display(description=_("by"))
    def who(self, obj: CaseEvent) -> str:
        return obj.actor_label

    reason_shown = CaseEventInline.reason_shown


@admin.register(AssessmentReminder)
class AssessmentReminderAdmin(ReadOnlyAdmin):
    list_display = ["assessment", "days_before", "deadline", "sent_at"]
