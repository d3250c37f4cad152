from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.http import StreamingHttpResponse
from django.shortcuts import redirect, render
from django.urls import path
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from prescriptions.models import Drug
from prescriptions.registry import COLUMNS, RegistryImportError, export_drugs, import_drugs


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
