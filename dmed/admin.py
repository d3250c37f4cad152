from django.contrib import admin, messages
from django.contrib.auth.admin import GroupAdmin as DjangoGroupAdmin
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.contrib.auth.models import Group, Permission
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from dmed.admin_paging import EstimatedCountPaginator
from dmed.api import tokens
from dmed.models import ApiToken, AuditEvent, User
from dmed.readonly_admin import ReadOnlyAdmin

# Django stores a permission's name in English when it migrates ("Can view drug"); the four
# it makes for every model are named here again in the reader's language.
DEFAULT_PERMISSIONS = {
    "add": _("Can add %(model)s"), "change": _("Can change %(model)s"),
    "delete": _("Can delete %(model)s"), "view": _("Can view %(model)s"),
}


def permission_label(permission: Permission) -> str:
    action, _sep, model_name = permission.codename.partition("_")
    model = permission.content_type.model_class()
    if model is None:
        return str(permission)
    name = permission.name
    if action in DEFAULT_PERMISSIONS and model_name == model._meta.model_name:
        name = DEFAULT_PERMISSIONS[action] % {"model": model._meta.verbose_name}
    return f"{model._meta.app_config.verbose_name} | {model._meta.verbose_name} | {name}"


class PermissionLabels:
    """Permissions listed in the reader's language on the user and group forms."""

    def formfield_for_manytomany(self, db_field, request, **kwargs):
        field = super().formfield_for_manytomany(db_field, request, **kwargs)
        if db_field.related_model is Permission:
            field.label_from_instance = permission_label
        return field


admin.site.unregister(Group)


@admin.register(Group)
class GroupAdmin(PermissionLabels, DjangoGroupAdmin):
    pass


@admin.register(User)
class UserAdmin(PermissionLabels, DjangoUserAdmin):
    list_display = ("username", "last_name", "first_name", "role", "is_active", "last_login")
    list_filter = ("role", "is_active", "is_staff")
    search_fields = ("username", "last_name", "first_name", "email", "phone")
    fieldsets = DjangoUserAdmin.fieldsets + (
        (_("Portal"), {"fields": ("role", "middle_name", "phone", "language")}),
    )
    add_fieldsets = DjangoUserAdmin.add_fieldsets + (
        (_("Portal"), {"fields": ("role", "first_name", "last_name", "middle_name", "phone")}),
    )


@admin.register(AuditEvent)
class AuditEventAdmin(ReadOnlyAdmin):
    """Read-only: the database refuses changes anyway, the admin does not offer them."""

    list_display = ("occurred_at", "actor", "actor_role", "facility_code", "action",
                    "object_type", "object_id", "patient_med_id", "allowed", "break_glass")
    list_filter = ("action", "allowed", "break_glass", "actor_role")
    search_fields = ("patient_med_id", "object_id", "actor__username", "facility_code")
    list_select_related = ("actor",)
    date_hierarchy = "occurred_at"
    # Counting tens of millions of rows for the paginator would stall the page.
    show_full_result_count = False
    paginator = EstimatedCountPaginator


@admin.register(ApiToken)
class ApiTokenAdmin(ReadOnlyAdmin):
    """Tokens are made by signing in, never here; an administrator can only end them."""

    list_display = ("prefix", "user", "created_at", "last_used_at", "expires", "revoked_at")
    list_filter = (("revoked_at", admin.EmptyFieldListFilter),)
    search_fields = ("user__username", "prefix")
    list_select_related = ("user",)
    date_hierarchy = "created_at"
    actions = ["revoke"]

    @admin.display(description=_("expires"))
    def expires(self, token):
        return tokens.expires_at(token)

    def has_revoke_permission(self, request):
        return request.user.has_perm("dmed.change_apitoken")

    @admin.action(description=_("Revoke the selected tokens"), permissions=["revoke"])
    def revoke(self, request, queryset):
        ended = sum(tokens.revoke_token(token, by=request.user,
                                        reason="revoked by an administrator")
                    for token in queryset)
        self.message_user(request, ngettext("%(count)d token revoked.",
                                            "%(count)d tokens revoked.", ended)
                          % {"count": ended}, messages.SUCCESS)


# The admin's own header reads "Django administration"; staff keep the portal's registries.
admin.site.site_header = _("DMED administration")
admin.site.site_title = _("DMED administration")
admin.site.index_title = _("Registries and users")
