from django.contrib import admin

from clinics.labs.models import (
    LabOrder,
    LabOrderItem,
    LabResult,
    LabTest,
    ReferenceRange,
    TurnaroundTarget,
)
from clinics.labs.services import ORDER_OBJECT, RESULT_OBJECT
from dmed.audited_admin import PatientRecordAdmin
from dmed.readonly_admin import ReadOnlyAdmin
from patients.access import Section
from patients.section_admin import SectionAdmin


class ReferenceRangeInline(admin.TabularInline):
    model = ReferenceRange
    extra = 0


@admin.register(LabTest)
class LabTestAdmin(admin.ModelAdmin):
    list_display = ("code", "name_uz", "name_ru", "specimen", "unit", "loinc", "is_active")
    list_filter = ("specimen", "is_active")
    search_fields = ("code", "loinc", "name_uz", "name_ru", "name_en")
    inlines = [ReferenceRangeInline]


class LabOrderItemInline(admin.TabularInline):
    model = LabOrderItem
    extra = 0
    readonly_fields = ("test",)
    can_delete = False


@admin.register(LabOrder)
class LabOrderAdmin(SectionAdmin, PatientRecordAdmin, ReadOnlyAdmin):
    """Read-only: orders are placed and worked through the portal, never edited here."""

    section = Section.LAB_RESULTS
    audit_object_type = ORDER_OBJECT
    list_display = ("public_id", "card", "laboratory", "priority", "ordered_at", "completed_at")
    list_filter = ("priority", "laboratory")
    search_fields = ("public_id", "card__med_id")
    list_select_related = ("card", "laboratory")
    inlines = [LabOrderItemInline]


@admin.register(LabResult)
class LabResultAdmin(LabOrderAdmin):
    audit_object_type = RESULT_OBJECT
    list_display = ("public_id", "card", "test", "version", "value", "unit", "flag",
                    "released_at")
    list_filter = ("flag", "test")
    list_select_related = ("card", "test")
    inlines = []


@admin.register(TurnaroundTarget)
class TurnaroundTargetAdmin(admin.ModelAdmin):
    """A laboratory's own promise per priority; without one the national default holds."""

    list_display = ("laboratory", "priority", "minutes")
    list_filter = ("priority",)
    search_fields = ("laboratory__code", "laboratory__name")
    list_select_related = ("laboratory",)
    autocomplete_fields = ("laboratory",)
