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
