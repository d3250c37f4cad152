from django.contrib import admin

from clinics.coding.models import Icd10Code


@admin.register(Icd10Code)
class Icd10CodeAdmin(admin.ModelAdmin):
    """The codes come from WHO and the Russian national classifier (its titles too);
    administrators add the Uzbek titles."""

    list_display = ("code", "title_en", "title_uz", "title_ru", "is_leaf", "is_national")
    list_filter = ("is_leaf", "is_national")
    search_fields = ("code", "title_en", "title_uz", "title_ru")
    readonly_fields = ("code", "title_en", "parent", "is_leaf", "is_national")
    show_full_result_count = False

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
