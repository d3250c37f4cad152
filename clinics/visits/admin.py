from django.contrib import admin

from clinics.visits.models import Visit, VisitAddendum, VisitDiagnosis
from clinics.visits.selectors import VISIT_OBJECT
from dmed.audited_admin import PatientRecordAdmin
from dmed.readonly_admin import ReadOnlyAdmin


class VisitDiagnosisInline(admin.TabularInline):
    model = VisitDiagnosis
    extra = 0
    can_delete = False
    readonly_fields = ("code", "kind", "note")

    def has_add_permission(self, request, obj=None):
        return False


class VisitAddendumInline(admin.TabularInline):
    model = VisitAddendum
    extra = 0
    can_delete = False
    readonly_fields = ("author", "written_at", "text")

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(Visit)
class VisitAdmin(PatientRecordAdmin, ReadOnlyAdmin):
    """Read-only: visits are written by clinicians through the portal, with their audit."""

    audit_object_type = VISIT_OBJECT
    list_display = ("public_id", "card", "facility", "clinician", "status", "opened_at")
    list_filter = ("status",)
    search_fields = ("=public_id", "=card__med_id", "facility__code")
    list_select_related = ("card", "facility", "clinician")
    show_full_result_count = False
    inlines = [VisitDiagnosisInline, VisitAddendumInline]
