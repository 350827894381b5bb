from django.contrib import admin

from reservations.models import (
    Acknowledgement,
    CalendarDay,
    CapacityOverride,
    Invitation,
    Office,
    OpeningHours,
    Procedure,
    Reservation,
    Slot,
    WalkIn,
)


class AcknowledgementInline(admin.TabularInline):
    model = Acknowledgement
    extra = 0


class OpeningHoursInline(admin.TabularInline):
    model = OpeningHours
    extra = 0


@admin.register(Procedure)
class ProcedureAdmin(admin.ModelAdmin):
    list_display = ["name", "slug", "office", "is_active"]
    inlines = [AcknowledgementInline, OpeningHoursInline]


admin.site.register(Office)
admin.site.register(CalendarDay)
admin.site.register(CapacityOverride)
admin.site.register(WalkIn)


@admin.register(Slot)
class SlotAdmin(admin.ModelAdmin):
    list_display = ["procedure", "day", "start", "places", "booked"]
    list_filter = ["procedure"]
    readonly_fields = ["booked"]


@admin.register(Reservation)
class ReservationAdmin(admin.ModelAdmin):
    list_display = ["number", "slot", "status", "channel"]
    list_filter = ["status", "channel"]
    raw_id_fields = ["slot", "invitation", "resident", "certificate", "issued_certificate"]
    readonly_fields = ["token"]


@admin.register(Invitation)
class InvitationAdmin(admin.ModelAdmin):
    list_display = ["code", "valid_until", "used_at"]
    raw_id_fields = ["resident", "certificate"]
