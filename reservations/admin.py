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
    Invitation,
    Office,
    OpeningHours,
    Procedure,
    Reservation,
    Slot,
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
    pass


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
