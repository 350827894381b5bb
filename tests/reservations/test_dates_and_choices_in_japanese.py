"""Staff pages write dates as 2026年12月10日（木）, selects start with 「選んでください」; CSV keeps ISO dates."""

from __future__ import annotations

from datetime import date, time

import pytest

from reservations.models import CalendarDay, Reservation
from tests import factories
from tests.reservations.helpers import book
from tests.reservations.test_rota import make_booking

pytestmark = pytest.mark.django_db

THURSDAY = date(2026, 11, 26)


def test_the_serve_page_and_the_resident_page_write_dates_in_japanese(clerk_client, alice, frozen) -> None:
    resident = factories.resident(case_number="CASE-8")
    certificate = factories.certificate(resident, issued_on=date(2026, 6, 10))
    reservation = make_booking(factories.slot(THURSDAY, time(9, 0), places=1), alice)
    Reservation.objects.filter(pk=reservation.pk).update(resident=resident, certificate=certificate)
    serve = clerk_client.get(f"/staff/reservations/{reservation.pk}/serve/").content.decode()
    assert f"{certificate.number}（期限 2026年12月10日（木））" in serve
    detail = clerk_client.get(f"/staff/residents/{resident.pk}/").content.decode()
    assert "2026年11月26日（木） 9:00</a>" in detail and "2026-11-26 09:00" not in detail


def test_the_day_csv_keeps_iso_dates(clerk_client, alice, frozen) -> None:
    resident = factories.resident(case_number="CASE-8")
    certificate = factories.certificate(resident, issued_on=date(2026, 6, 10))
    reservation = make_booking(factories.slot(THURSDAY, time(9, 0), places=1), alice)
    Reservation.objects.filter(pk=reservation.pk).update(resident=resident, certificate=certificate)
    csv = clerk_client.get("/staff/day/2026-11-26/reservations.csv").content.decode("utf-8-sig")
    assert "2026-12-10" in csv and "年" not in csv.splitlines()[1]


def test_the_change_page_shows_the_current_time_with_its_end_like_the_new_one(client, frozen) -> None:
    slot = factories.slot(THURSDAY, time(9, 0), places=2)
    book(client, slot)
    reservation = Reservation.objects.get()
    new = factories.slot(date(2026, 11, 27), time(10, 0))
    client.get(f"/reservation/{reservation.token}/change/")
    client.post("/book/p/jr-pass/2026-11-27/", {"slot": new.pk})
    html = client.get(f"/reservation/{reservation.token}/change/").content.decode()
    assert "<dd>2026年11月26日（木） 9:00〜9:30</dd>" in html
    assert "<strong>2026年11月27日（金） 10:00〜10:30</strong>" in html


def test_the_calendar_settings_list_dates_and_selects_in_japanese(supervisor_client, frozen) -> None:
    factories.procedure()
    CalendarDay.objects.create(day=date(2026, 12, 2), kind="closed", note="点検")
    html = supervisor_client.get("/staff/calendar/").content.decode()
    assert "<td>2026年12月2日（水）</td>" in html and "2026-12-02" not in html
    assert "---------" not in html
    assert html.count('<option value="" selected>選んでください</option>') >= 4  # procedure ×2, weekday, kind
    assert '<option value="" selected>すべての窓口</option>' in html
