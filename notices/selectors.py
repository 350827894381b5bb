"""The forecast: certificates expiring against the places open to book them (the outcome report is report.py)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from django.db.models import Exists, OuterRef, Q

from certificates.models import Certificate
from reservations import rules
from reservations.models import Office, Procedure


def _next_month(month: date) -> date:
    return (month.replace(day=28) + timedelta(days=4)).replace(day=1)


@dataclass
class ForecastRow:
    month: date
    expiring: int
    places: int
    window_start: date
    window_end: date

    @property
    def ratio(self) -> float:
        return self.places / self.expiring if self.expiring else float("inf")

    @property
    def short(self) -> bool:
        return self.expiring > self.places


def bookable_places(procedure: Procedure, start: date, end: date) -> int:
    """Places the opening hours give from start to end, with the office's closures and capacity changes."""
    return sum(places for _end, places in rules.slot_places(procedure=procedure, start=start, end=end).values())


def forecast(today: date, months: int = 6, weeks_before: int = 4, office: Office | None = None) -> list[ForecastRow]:
    """Certificates expiring each coming month against the places open in the weeks before their expiry: for the
    city (every office's places) or for one office (its residents' certificates, its places)."""
    procedures = Procedure.objects.filter(is_active=True, certificate_kind__is_letter_kind=True)
    certificates = Certificate.objects.filter(kind__is_letter_kind=True, status=Certificate.Status.VALID)
    if office is not None:
        procedures = procedures.filter(office=office)
        belongs = Q(resident__office_link__office=office)
        main = Office.main()
        if main is not None and main.pk == office.pk:
            belongs |= Q(resident__office_link__isnull=True)
        certificates = certificates.filter(belongs)
    rows = []
    month = today.replace(day=1)
    renewed = Certificate.objects.filter(renews=OuterRef("pk"))
    for _ in range(months):
        month = _next_month(month)
        end_of_month = _next_month(month) - timedelta(days=1)
        expiring = (
            certificates.filter(expires_on__gte=month, expires_on__lte=end_of_month).exclude(Exists(renewed)).count()
        )
        window_start = max(month - timedelta(weeks=weeks_before), today + timedelta(days=1))
        places = sum(bookable_places(procedure, window_start, end_of_month) for procedure in procedures)
        rows.append(ForecastRow(month, expiring, places, window_start, end_of_month))
    return rows
