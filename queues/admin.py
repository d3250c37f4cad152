from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from dmed.audited_admin import PatientRecordAdmin
from dmed.readonly_admin import ReadOnlyAdmin
from queues.models import Appointment, Closure, ScheduleBreak, ServicePoint, Ticket, WorkingHours
from queues.selectors import APPOINTMENT_OBJECT, TICKET_OBJECT


class WorkingHoursInline(admin.TabularInline):
    model = WorkingHours
    extra = 0


@admin.register(ServicePoint)
class ServicePointAdmin(admin.ModelAdmin):
    list_display = ["ticket_prefix", "name", "kind", "room", "facility", "practitioner",
                    "is_active"]
    list_filter = ["kind", "is_active"]
    search_fields = ["name", "room", "facility__code", "facility__name"]
    autocomplete_fields = ["facility", "practitioner"]
    inlines = [WorkingHoursInline]


class ScheduleBreakInline(admin.TabularInline):
    model = ScheduleBreak
    extra = 0


@admin.register(WorkingHours)
class WorkingHoursAdmin(admin.ModelAdmin):
    list_display = ["service_point", "weekday", "opens_at", "closes_at", "slot_minutes",
                    "valid_from", "valid_to"]
    list_filter = ["weekday"]
    search_fields = ["service_point__name", "service_point__facility__code"]
    inlines = [ScheduleBreakInline]


@admin.register(Closure)
class ClosureAdmin(admin.ModelAdmin):
    list_display = ["reason", "first_day", "last_day", "facility", "service_point", "note"]
    list_filter = ["reason"]
    date_hierarchy = "first_day"



@admin.register(Appointment)
class AppointmentAdmin(PatientRecordAdmin, ReadOnlyAdmin):
    audit_object_type = APPOINTMENT_OBJECT
    list_display = ["starts_at", "service_point", "status"]
    list_filter = ["status"]
    date_hierarchy = "day"
    list_select_related = ["service_point", "card"]


@admin.register(Ticket)
class TicketAdmin(PatientRecordAdmin, ReadOnlyAdmin):
    audit_object_type = TICKET_OBJECT
    list_display = ["day", "ticket_number", "service_point", "priority", "status"]
    list_filter = ["status", "priority"]
    date_hierarchy = "day"
    list_select_related = ["service_point", "card"]

    @admin.display(description=_("number"), ordering="number")
    def ticket_number(self, ticket: Ticket) -> str:
        return ticket.display_number
