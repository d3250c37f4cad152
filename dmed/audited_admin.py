"""The admin's lists and pages of patients' records, audited as the portal's pages are.

Administrators keep registries, but several admin lists show patients' records (cards,
visits, lab results, prescriptions, queue tickets, home-care listings). DESIGN's rule holds
there too: every read names the patient in the trail, so each patient's access log says an
administrator saw the record. A list writes one event per row shown (as
a worklist does); a record's page one when it is opened, and a save one for the change.
"""

from __future__ import annotations

from operator import attrgetter

from django.contrib import admin

from dmed.audit import record_audit_event, record_list_event
from dmed.models import AuditAction


class PatientRecordAdmin(admin.ModelAdmin):
    # The kind of record, as the portal's own pages audit it (e.g. "clinics.visit").
    audit_object_type: str = ""
    # The path from a row to its card ("card", "prescription.patient"); "" for a card. The
    # admin's list_select_related names it too, so a page of rows reads their cards at once.
    audit_card: str = "card"
    # The row's attribute that names it in the trail, as the portal's pages name it.
    audit_id: str = "public_id"
    # How a list searched by a typed term is recorded (the card registry: a search).
    audit_search_action: AuditAction = AuditAction.LIST

    def audit_subject(self, row) -> tuple[str, str]:
        """(object id, MED-ID) of a row; a row with no card names no patient."""
        card = attrgetter(self.audit_card)(row) if self.audit_card else row
        return str(getattr(row, self.audit_id)), card.med_id if card is not None else ""

    def changelist_view(self, request, extra_context=None):
        response = super().changelist_view(request, extra_context)
        # An action's redirect or an error page shows no rows.
        changelist = getattr(response, "context_data", {}).get("cl")
        if changelist is not None:
            term = request.GET.get("q", "").strip()
            record_list_event(
                actor=request.user, object_type=self.audit_object_type,
                action=self.audit_search_action if term else AuditAction.LIST,
                shown=[self.audit_subject(row) for row in changelist.result_list],
                list_id="admin", reason=term[:200])
        return response

    def change_view(self, request, object_id, form_url="", extra_context=None):
        if request.method == "GET":
            row = self.get_object(request, object_id)
            # The admin refuses one without the permission after this: no read to record.
            if row is not None and self.has_view_or_change_permission(request, row):
                self._audit(request, AuditAction.VIEW, row)
        return super().change_view(request, object_id, form_url, extra_context)

    def save_model(self, request, obj, form, change):
        # In the admin's transaction: the change and its audit row commit together, and a
        # form refused for its errors writes neither.
        super().save_model(request, obj, form, change)
        self._audit(request, AuditAction.UPDATE if change else AuditAction.CREATE, obj)

    def _audit(self, request, action: AuditAction, row) -> None:
        object_id, med_id = self.audit_subject(row)
        record_audit_event(actor=request.user, action=action,
                           object_type=self.audit_object_type, object_id=object_id,
                           patient_med_id=med_id)
