"""Cards in the admin: administrators find and correct cards; every view is audited."""

from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from django.utils.translation import gettext, gettext_lazy

from dmed.admin_paging import EstimatedCountPaginator
from dmed.audited_admin import PatientRecordAdmin
from dmed.models import AuditAction
from patients.access import CARD_OBJECT
from patients.models import (
    Allergy,
    Attachment,
    BreakGlassGrant,
    ChronicCondition,
    IdentityDocument,
    PatientCard,
    Representation,
)
from patients.selectors import GRANT_OBJECT, search_registry
from patients.services import merge_cards


class DocumentInline(admin.TabularInline):
    model = IdentityDocument
    extra = 0


class ClinicalSummaryInline(admin.TabularInline):
    """Read-only here: clinicians keep allergies and conditions on the card and the visit
    form (patients.services), where every change is audited and signed with who and when."""

    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False


class AllergyInline(ClinicalSummaryInline):
    model = Allergy
    fields = ("substance", "kind", "atc_code", "reaction", "severity", "verification",
              "noted_at", "recorded_by", "changed_at", "changed_by", "ended_at", "end_reason")


class ConditionInline(ClinicalSummaryInline):
    model = ChronicCondition
    fields = ("icd10_code", "text", "since", "status", "recorded_at", "recorded_by",
              "changed_at", "changed_by")


class RepresentationInline(admin.TabularInline):
    model = Representation
    extra = 0
    autocomplete_fields = ("representative",)


class AttachmentInline(admin.TabularInline):
    """History: read-only here, changed through the attachment service with a reason."""

    model = Attachment
    extra = 0
    readonly_fields = ("facility", "family_doctor", "reason", "started_at", "ended_at",
                       "changed_by")
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(PatientCard)
class PatientCardAdmin(PatientRecordAdmin):
    audit_object_type = CARD_OBJECT
    audit_card = ""
    audit_id = "med_id"
    audit_search_action = AuditAction.SEARCH

    list_display = ("med_id", "last_name", "first_name", "middle_name", "birth_date", "sex",
                    "status", "attached_facility")
    list_filter = ("status", "sex")
    # Searched by patients.selectors.search_registry (see get_search_results).
    search_fields = ("med_id",)
    list_select_related = ("attached_facility",)
    readonly_fields = ("med_id", "status", "merged_into", "registered_at",
                       "no_known_allergies_at", "no_known_allergies_by", "created_at",
                       "updated_at")
    autocomplete_fields = ("attached_facility", "family_doctor", "user", "district")
    inlines = [DocumentInline, AllergyInline, ConditionInline, RepresentationInline,
               AttachmentInline]
    show_full_result_count = False
    paginator = EstimatedCountPaginator
    actions = ["merge_duplicates"]

    def get_search_results(self, request, queryset, search_term):
        # Django's own search is UPPER(column) LIKE '%…%' on every field: a read of every
        # card, seconds at national scale; this one stays on the card table's indexes.
        if not search_term.strip():
            return queryset, False
        return search_registry(queryset, search_term), False

    @admin.action(description=gettext_lazy("Merge the two selected cards (keeps the older one)"))
    def merge_duplicates(self, request, queryset):
        cards = list(queryset.order_by("created_at", "pk")[:3])
        if len(cards) != 2:
            self.message_user(request, gettext("Select exactly two cards to merge."),
                              messages.ERROR)
            return
        # A temporary card always gives way to the identified one; else the newer goes.
        keep, drop = sorted(cards, key=lambda card: card.is_temporary)
        try:
            merge_cards(actor=request.user, source_med_id=drop.med_id,
                        target_med_id=keep.med_id)
        except ValidationError as error:
            self.message_user(request, " ".join(error.messages), messages.ERROR)
        else:
            self.message_user(request, gettext("Card %(drop)s merged into %(keep)s.")
                              % {"drop": drop.med_id, "keep": keep.med_id})

    def has_add_permission(self, request):
        # Cards are registered through the registration service, which issues MED-IDs.
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(BreakGlassGrant)
class BreakGlassGrantAdmin(PatientRecordAdmin):
    """The review list of break-the-glass openings."""

    audit_object_type = GRANT_OBJECT

    list_display = ("granted_at", "user", "card", "reason", "expires_at")
    list_select_related = ("user", "card")
    search_fields = ("user__username", "card__med_id")
    date_hierarchy = "granted_at"
    readonly_fields = ("user", "card", "reason", "granted_at", "expires_at")

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
