from django.contrib import admin

from registry.models import Department, District, Facility, Region, StaffRecord


@admin.register(Region)
class RegionAdmin(admin.ModelAdmin):
    list_display = ("code", "name_uz", "name_ru", "name_en", "ig_code")
    search_fields = ("code", "name_uz", "name_ru", "name_en")


@admin.register(District)
class DistrictAdmin(admin.ModelAdmin):
    list_display = ("code", "name_uz", "name_ru", "region", "ig_code")
    list_filter = ("region",)
    search_fields = ("code", "name_uz", "name_ru", "name_en")
    list_select_related = ("region",)


class DepartmentInline(admin.TabularInline):
    model = Department
    extra = 0


@admin.register(Facility)
class FacilityAdmin(admin.ModelAdmin):
    list_display = ("code", "name", "kind", "region", "district", "tax_id", "shif_code",
                    "is_active")
    list_filter = ("kind", "is_active", "region")
    search_fields = ("code", "name", "tax_id", "shif_code", "address")
    list_select_related = ("region", "district")
    autocomplete_fields = ("parent", "district")
    inlines = [DepartmentInline]


@admin.register(Department)
class DepartmentAdmin(admin.ModelAdmin):
    list_display = ("code", "name", "facility", "specialty")
    list_filter = ("facility__kind",)
    search_fields = ("code", "name", "facility__name", "facility__code")
    list_select_related = ("facility",)
    autocomplete_fields = ("facility",)


@admin.register(StaffRecord)
class StaffRecordAdmin(admin.ModelAdmin):
    list_display = ("user", "facility", "role", "specialty", "argos_id", "licence_number",
                    "is_head", "on_call", "active_from", "active_to")
    list_filter = ("role", "facility__kind", "is_head", "on_call", "active_to")
    search_fields = ("user__username", "user__last_name", "user__first_name", "facility__code",
                     "facility__name", "argos_id", "licence_number")
    list_select_related = ("user", "facility")
    autocomplete_fields = ("user", "facility", "department")
