"""What administrators keep: the plan's rules, the warning-signs checklist, which nurse
walks which street, and the disabled and bedridden lists (each read and change of a listing
audited: it names a patient). Recorded visits are read through the nurse's pages, where
scope and audit apply, not here."""

from django.contrib import admin

from dmed.audited_admin import PatientRecordAdmin
from patronage import services
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
    """The street map: a change moves the visits still planned on the street to its nurse
    (patronage.services.follow_street_map), each audited."""

    list_display = ("street", "facility", "nurse")
    list_select_related = ("facility", "nurse")
    search_fields = ("street",)
    raw_id_fields = ("facility", "nurse")

    def save_model(self, request, obj, form, change):
        services.map_street(actor=request.user, assignment=obj)

    def delete_model(self, request, obj):
        services.unmap_streets(actor=request.user, assignments=[obj])

    def delete_queryset(self, request, queryset):
        services.unmap_streets(actor=request.user, assignments=list(queryset))


@admin.register(CareListing)
class CareListingAdmin(PatientRecordAdmin):
    audit_object_type = services.LISTING_OBJECT
    audit_id = "pk"
    list_display = ("card", "kind", "listed_on", "ended_on", "added_by")
    list_filter = ("kind",)
    list_select_related = ("card", "added_by")
    search_fields = ("=card__med_id",)
    raw_id_fields = ("card",)
    readonly_fields = ("added_by",)

    def save_model(self, request, obj, form, change):
        services.keep_listing(actor=request.user, listing=obj)

    def has_delete_permission(self, request, obj=None):
        # A listing ends on a day (its plan stops then); deleting it would erase who was
        # visited at home and why.
        return False
