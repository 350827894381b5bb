from typing import Any

from django.apps import AppConfig


class ReservationsConfig(AppConfig):
    name = "reservations"
    verbose_name = "予約"

    def resident_sections(self, resident: Any) -> list[dict[str, Any]]:
        """The resident's reservations, for the resident page of the certificates app."""
        from reservations.models import Office
        from reservations.offices import office_of

        reservations = resident.reservations.select_related("slot", "procedure").order_by("-slot__day", "-id")[:50]
        offices = list(Office.objects.order_by("id"))
        return [
            {
                "template": "reservations/staff/resident_section.html",
                "reservations": list(reservations),
                "office": office_of(resident),
                "offices": offices if len(offices) > 1 else [],
            }
        ]

    def register_columns(self) -> list[Any]:
        """The register's columns kept here: the resident's office (certificates.register.ExtraColumn)."""
        from reservations.offices import OfficeColumn

        return [OfficeColumn()]

    def ready(self) -> None:
        from django.core.signals import request_finished, request_started
        from django.db.models.signals import post_delete, post_save

        from certificates.models import CertificateKind
        from reservations import calendar, local_cache, staffing
        from reservations.models import CalendarDay, Office, Procedure
        from staff.signals import account_deactivated

        # The booking pages keep these rows for a minute in each process: an edit empties this process's copies.
        for model in (Office, Procedure, CertificateKind):
            post_save.connect(local_cache.clear, sender=model, dispatch_uid=f"local-cache-save-{model.__name__}")
            post_delete.connect(local_cache.clear, sender=model, dispatch_uid=f"local-cache-delete-{model.__name__}")
        # Each process keeps the office calendar under a version number (reservations.calendar).
        post_save.connect(calendar.changed, sender=CalendarDay, dispatch_uid="office-calendar-save")
        post_delete.connect(calendar.changed, sender=CalendarDay, dispatch_uid="office-calendar-delete")
        request_started.connect(calendar.request_started, dispatch_uid="office-calendar-request-started")
        request_finished.connect(calendar.request_finished, dispatch_uid="office-calendar-request-finished")
        # A staff account switched off: its bookings go to colleagues or on the supervisor's list at once.
        account_deactivated.connect(staffing.on_account_deactivated, dispatch_uid="rota-account-deactivated")
