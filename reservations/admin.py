from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.db import transaction
from django.forms import ModelForm
from django.http import HttpRequest

from certificates.admin import PersonalDataAdmin
from reservations.models import (
    Acknowledgement,
    CalendarDay,
    CapacityOverride,
    DutyException,
    DutyPattern,
    GuideVersion,
    Invitation,
    Office,
    OpeningHours,
    Procedure,
    Qualification,
    Reservation,
    RotaLog,
    Slot,
    UnstaffedBooking,
    WalkIn,
)
from reservations.slots import slots_generate_all
from staff.admin import ReadOnlyAdmin


class RegeneratesSlots(admin.ModelAdmin):
    """Opening hours, closures and capacity decide the slots: saving or deleting them here regenerates the slots
    through the same service as the staff calendar page, once the change is committed."""

    def delete_model(self, request: HttpRequest, obj: Any) -> None:
        super().delete_model(request, obj)
        transaction.on_commit(slots_generate_all)

    def delete_queryset(self, request: HttpRequest, queryset: Any) -> None:
        super().delete_queryset(request, queryset)
        transaction.on_commit(slots_generate_all)

    def save_related(self, request: HttpRequest, form: ModelForm, formsets: Any, change: bool) -> None:
        # Called after every save in the admin, with the inlines (opening hours) saved too.
        super().save_related(request, form, formsets, change)
        transaction.on_commit(slots_generate_all)


class AcknowledgementInline(admin.TabularInline):
    model = Acknowledgement
    extra = 0


class OpeningHoursInline(admin.TabularInline):
    model = OpeningHours
    extra = 0


@admin.register(Procedure)
class ProcedureAdmin(RegeneratesSlots):
    list_display = ["name", "slug", "office", "is_active"]
    inlines = [AcknowledgementInline, OpeningHoursInline]


admin.site.register(Office)


@admin.register(CalendarDay)
class CalendarDayAdmin(RegeneratesSlots):
    list_display = ["day", "office", "kind", "note"]
    list_filter = ["office", "kind"]


@admin.register(CapacityOverride)
class CapacityOverrideAdmin(RegeneratesSlots):
    pass


@admin.register(WalkIn)
class WalkInAdmin(ReadOnlyAdmin):
    list_display = ["day", "procedure", "served", "recorded_by"]


@admin.register(Slot)
class SlotAdmin(ReadOnlyAdmin):
    """Places and bookings change only through slot generation and the booking service (capacity)."""

    list_display = ["procedure", "day", "start", "places", "booked"]
    list_filter = ["procedure"]


@admin.register(Reservation)
class ReservationAdmin(PersonalDataAdmin):
    """Read-only; the manage link's token is never shown (it lets anyone cancel the booking)."""

    list_display = ["number", "slot", "status", "channel"]
    list_filter = ["status", "channel"]
    exclude = ["token", "invitation"]


@admin.register(Invitation)
class InvitationAdmin(PersonalDataAdmin):
    """Read-only; the code itself is never shown (it starts a booking in the resident's name)."""

    list_display = ["pk", "procedure", "valid_until", "used_at"]
    exclude = ["code"]


# Qualifications, the rota and the guide change through the staff pages, whose services keep the places of every
# slot and the clerk of every booking in step; here they are shown only.


@admin.register(Qualification)
class QualificationAdmin(ReadOnlyAdmin):
    list_display = ["user", "procedure", "granted_at", "granted_by"]


@admin.register(DutyPattern)
class DutyPatternAdmin(ReadOnlyAdmin):
    list_display = ["user", "weekday", "start", "end"]


@admin.register(DutyException)
class DutyExceptionAdmin(ReadOnlyAdmin):
    list_display = ["user", "day", "start", "end", "kind", "note"]
    date_hierarchy = "day"


@admin.register(UnstaffedBooking)
class UnstaffedBookingAdmin(ReadOnlyAdmin):
    list_display = ["reservation", "absent_clerk", "found_at", "offer_channel", "resolved_at", "resolution"]


@admin.register(RotaLog)
class RotaLogAdmin(ReadOnlyAdmin):
    list_display = ["at", "action", "actor", "clerk", "reservation", "detail"]
    list_filter = ["action"]


@admin.register(GuideVersion)
class GuideVersionAdmin(ReadOnlyAdmin):
    list_display = ["procedure", "version", "published_at", "published_by", "note"]
