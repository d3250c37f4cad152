"""What administrators keep: the plan's rules, the warning-signs checklist, which nurse
walks which street, and the disabled and bedridden lists. Recorded visits are read through
the nurse's pages, where scope and audit apply, not here."""

from django.contrib import admin

from patronage.models import CareListing, StreetAssignment, VisitRule, WarningSign


@admin.register(VisitRule)
class VisitRuleAdmin(admin.ModelAdmin):
    list_display = ("reason", "risk_group", "start", "every", "until", "unit", "grace_days",
                    "is_active")
    list_filter = ("reason", "risk_group", "is_active")


@admin.register(WarningSign)
class WarningSignAdmin(admin.ModelAdmin):
    list_display = ("name", "code", "reason", "order", "is_active")
    list_filter = ("reason", "is_active")
    search_fields = ("name", "code")


@admin.register(StreetAssignment)
class StreetAssignmentAdmin(admin.ModelAdmin):
    list_display = ("street", "facility", "nurse")
    list_select_related = ("facility", "nurse")
    search_fields = ("street",)
    raw_id_fields = ("facility", "nurse")


@admin.register(CareListing)
class CareListingAdmin(admin.ModelAdmin):
    list_display = ("card", "kind", "listed_on", "ended_on")
    list_filter = ("kind",)
    raw_id_fields = ("card", "added_by")
