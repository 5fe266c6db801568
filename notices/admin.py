from django.contrib import admin

from notices.models import EmailPreference, Notification


@admin.register(Notification)
class NotificationAdmin(admin.ModelAdmin):
    list_display = ("subject", "user", "kind", "created_at", "read_at")
    list_filter = ("kind",)
    search_fields = ("subject", "user__username")
    raw_id_fields = ("user",)


@admin.register(EmailPreference)
class EmailPreferenceAdmin(admin.ModelAdmin):
    list_display = ("user", "kind", "email")
    list_filter = ("kind", "email")
    raw_id_fields = ("user",)
