"""The catalogues administrators keep (risk factors, the antenatal schedule, the
immunisation calendar, the symptoms of adverse events following immunisation). Records
of care are read and written through the card's pages, where scope and audit apply, not
here."""

from django.contrib import admin

from mch.models import AefiSymptom, AntenatalContact, CalendarDose, RiskFactor, Vaccine


@admin.register(RiskFactor)
class RiskFactorAdmin(admin.ModelAdmin):
    list_display = ("name", "code", "level", "is_active")
    list_filter = ("level", "is_active")
    search_fields = ("name", "code")


@admin.register(AntenatalContact)
class AntenatalContactAdmin(admin.ModelAdmin):
    list_display = ("number", "week_from", "week_to", "includes")


class CalendarDoseInline(admin.TabularInline):
    model = CalendarDose
    extra = 0


@admin.register(Vaccine)
class VaccineAdmin(admin.ModelAdmin):
    list_display = ("name", "code")
    search_fields = ("name", "code")
    inlines = [CalendarDoseInline]


@admin.register(CalendarDose)
class CalendarDoseAdmin(admin.ModelAdmin):
    list_display = ("vaccine", "number", "min_age_days", "min_interval_days", "latest_age_days",
                    "sex")
    list_filter = ("vaccine",)
    list_select_related = ("vaccine",)


@admin.register(AefiSymptom)
class AefiSymptomAdmin(admin.ModelAdmin):
    list_display = ("name", "code", "is_active")
    list_filter = ("is_active",)
    search_fields = ("name", "code")
