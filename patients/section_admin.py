"""The admin keeps need-to-know: an admin of one section's records (lab results,
prescriptions) is shown only to the roles that see that section of a card
(patients.access.NEED_TO_KNOW), whatever the account's admin permissions say. An
administrator keeps registries, users and the audit trail; reading patients' results or
prescriptions is not their work, here no more than on the pages or in the API."""

from patients.access import sees


class SectionAdmin:
    """Mixed into a ModelAdmin before it; `section` names the card's section its rows are."""

    section: str = ""

    def has_view_permission(self, request, obj=None):
        return sees(request.user, self.section) and super().has_view_permission(request, obj)

    def has_change_permission(self, request, obj=None):
        return sees(request.user, self.section) and super().has_change_permission(request, obj)
