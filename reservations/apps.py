from typing import Any

from django.apps import AppConfig


class ReservationsConfig(AppConfig):
    name = "reservations"
    verbose_name = "予約"

    def resident_sections(self, resident: Any) -> list[dict[str, Any]]:
        """The resident's reservations, for the resident page of the certificates app."""
        reservations = resident.reservations.select_related("slot", "procedure").order_by("-slot__day", "-id")[:50]
        return [{"template": "reservations/staff/resident_section.html", "reservations": list(reservations)}]
