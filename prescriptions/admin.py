from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.http import StreamingHttpResponse
from django.shortcuts import redirect, render
from django.urls import path
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from dmed.audited_admin import PatientRecordAdmin
from dmed.readonly_admin import ReadOnlyAdmin
from patients.access import Section
from patients.section_admin import SectionAdmin
from prescriptions.models import (
    Dispensing,
    Drug,
    PharmacyApiKey,
    PrescriberKey,
    Prescription,
    PrescriptionItem,
)
from prescriptions.registry import COLUMNS, RegistryImportError, export_drugs, import_drugs
from prescriptions.selectors import DISPENSING_OBJECT, PRESCRIPTION_OBJECT
from prescriptions.services import create_pharmacy_api_key, revoke_pharmacy_api_key
from registry.models import Facility, FacilityKind


class DrugImportForm(forms.Form):
    file = forms.FileField(label=gettext_lazy("CSV file"))


def _csv_response(drugs=None) -> StreamingHttpResponse:
    response = StreamingHttpResponse(export_drugs(drugs), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = 'attachment; filename="drugs.csv"'
    return response


@admin.register(Drug)
class DrugAdmin(admin.ModelAdmin):
    list_display = ("inn", "strength", "dosage_form", "atc_code", "trade_names",
                    "prescription_only", "controlled_class", "reimbursable", "is_active")
    list_filter = ("controlled_class", "prescription_only", "reimbursable", "is_active",
                   "dosage_form")
    search_fields = ("inn", "trade_names", "=atc_code")
    actions = ["export_selected"]

    @admin.action(description=gettext_lazy("Export selected drugs as CSV"))
    def export_selected(self, request, queryset):
        return _csv_response(queryset)

    def get_urls(self):
        return [
            path("import/", self.admin_site.admin_view(self.import_view),
                 name="prescriptions_drug_import"),
            path("export/", self.admin_site.admin_view(self.export_view),
                 name="prescriptions_drug_export"),
            *super().get_urls(),
        ]

    def export_view(self, request):
        if not self.has_view_permission(request):
            raise PermissionDenied
        return _csv_response()

    def import_view(self, request):
        if not (self.has_add_permission(request) and self.has_change_permission(request)):
            return redirect("admin:prescriptions_drug_changelist")
        form = DrugImportForm(request.POST or None, request.FILES or None)
        errors: list[str] = []
        if request.method == "POST" and form.is_valid():
            lines = (line.decode("utf-8-sig", errors="replace")
                     for line in form.cleaned_data["file"])
            try:
                report = import_drugs(lines)
            except RegistryImportError as error:
                errors = error.errors
            else:
                self.message_user(request, _("%(created)d drugs created, %(updated)d updated.")
                                  % {"created": report.created, "updated": report.updated},
                                  messages.SUCCESS)
                return redirect("admin:prescriptions_drug_changelist")
        return render(request, "admin/prescriptions/drug/import.html", {
            **self.admin_site.each_context(request), "opts": self.model._meta, "form": form,
            "errors": errors, "columns": ", ".join(COLUMNS),
        })


class PharmacyApiKeyForm(forms.ModelForm):
    class Meta:
        model = PharmacyApiKey
        fields = ["pharmacy", "name"]


@admin.register(PharmacyApiKey)
class PharmacyApiKeyAdmin(admin.ModelAdmin):
    """Keys are made here and shown once; only their hash is kept. Revoking is final."""

    list_display = ("prefix", "name", "pharmacy", "created_at", "revoked_at")
    list_filter = (("revoked_at", admin.EmptyFieldListFilter),)
    search_fields = ("prefix", "name", "pharmacy__code", "pharmacy__name")
    list_select_related = ("pharmacy",)
    actions = ["revoke"]
    form = PharmacyApiKeyForm

    def get_readonly_fields(self, request, obj=None):
        return ("pharmacy", "name", "prefix", "created_at", "revoked_at") if obj else ()

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name == "pharmacy":
            kwargs["queryset"] = Facility.objects.filter(kind=FacilityKind.PHARMACY)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def get_fields(self, request, obj=None):
        return ("pharmacy", "name", "prefix", "created_at", "revoked_at") if obj else (
            "pharmacy", "name")

    def save_model(self, request, obj, form, change):
        if change:
            return
        key, plain = create_pharmacy_api_key(pharmacy=obj.pharmacy, name=obj.name)
        obj.pk = key.pk
        self.message_user(request, _("The new key, shown only now: %(key)s") % {"key": plain},
                          messages.WARNING)

    def has_delete_permission(self, request, obj=None):
        return False

    @admin.action(description=gettext_lazy("Revoke the selected keys"))
    def revoke(self, request, queryset):
        for key in queryset:
            revoke_pharmacy_api_key(key)
        self.message_user(request, _("Revoked."), messages.SUCCESS)



class ItemInline(admin.TabularInline):
    model = PrescriptionItem
    fields = ("line", "drug", "quantity", "dispensed_quantity", "dosage", "status",
              "status_reason", "refused_at")
    readonly_fields = fields
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(Prescription)
class PrescriptionAdmin(SectionAdmin, PatientRecordAdmin, ReadOnlyAdmin):
    section = Section.PRESCRIPTIONS
    audit_object_type = PRESCRIPTION_OBJECT
    audit_card = "patient"
    audit_id = "code"
    list_display = ("code", "status", "patient", "prescriber", "facility", "diagnosis",
                    "issued_at", "valid_until", "issue_number", "issues_total")
    list_filter = ("status", "controlled", "chronic")
    search_fields = ("=code", "=series_code", "=patient__med_id")
    list_select_related = ("patient", "prescriber", "facility", "diagnosis")
    show_full_result_count = False
    inlines = [ItemInline]
    exclude = ("signature",)


@admin.register(PrescriberKey)
class PrescriberKeyAdmin(ReadOnlyAdmin):
    list_display = ("key_id", "prescriber", "created_at", "revoked_at")
    search_fields = ("=key_id", "prescriber__username", "prescriber__last_name")
    list_select_related = ("prescriber",)
    # The encrypted private key is never shown, not even encrypted.
    fields = ("key_id", "prescriber", "created_at", "revoked_at")


@admin.register(Dispensing)
class DispensingAdmin(SectionAdmin, PatientRecordAdmin, ReadOnlyAdmin):
    section = Section.PRESCRIPTIONS
    audit_object_type = DISPENSING_OBJECT
    audit_card = "prescription.patient"
    list_display = ("public_id", "prescription", "pharmacy", "pharmacist", "status_after",
                    "dispensed_at")
    search_fields = ("=public_id", "=prescription__code")
    list_select_related = ("prescription__patient", "pharmacy", "pharmacist")
    show_full_result_count = False
