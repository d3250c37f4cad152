from django.contrib import admin

from clinics.visits.models import Visit, VisitAddendum, VisitDiagnosis
from clinics.visits.selectors import VISIT_OBJECT
from clinics.visits.services import NARRATIVE_FIELDS, VITAL_FIELDS
from dmed.audited_admin import PatientRecordAdmin
from dmed.readonly_admin import ReadOnlyAdmin
from patients.access import Section, sees

# What the API's visit shows only to readers of the clinical text (clinics.visits.api).
CLINICAL_RECORD_FIELDS = (*NARRATIVE_FIELDS, *VITAL_FIELDS, "content_digest")


class VisitDiagnosisInline(admin.TabularInline):
    model = VisitDiagnosis
    section = Section.DIAGNOSES
    extra = 0
    can_delete = False
    readonly_fields = ("code", "kind", "note")

    def has_add_permission(self, request, obj=None):
        return False


class VisitAddendumInline(admin.TabularInline):
    model = VisitAddendum
    section = Section.CLINICAL_TEXT
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

    # Need-to-know holds here as on the pages: an administrator sees when, where and with
    # whom a visit was, not what was found.
    def get_fields(self, request, obj=None):
        fields = super().get_fields(request, obj)
        if sees(request.user, Section.CLINICAL_TEXT):
            return fields
        return [field for field in fields if field not in CLINICAL_RECORD_FIELDS]

    def get_inlines(self, request, obj):
        return [inline for inline in self.inlines if sees(request.user, inline.section)]
