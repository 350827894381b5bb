"""The day list reads a fixed number of queries, whether the day has one appointment or two hundred; each view is
in the access log, and what one clerk does shows on the other clerk's next load."""

from datetime import date, datetime, time

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from certificates.models import AccessLog
from reservations.booking import Contact, reservation_book
from reservations.models import Reservation, Slot, UnstaffedBooking
from tests import factories

pytestmark = pytest.mark.django_db

THURSDAY = date(2026, 11, 26)


def _book(slot, n: int) -> Reservation:
    acks = list(slot.procedure.acknowledgements.values_list("pk", flat=True))
    return reservation_book(
        procedure=slot.procedure,
        slot_id=slot.pk,
        acknowledged=acks,
        contact=Contact("佐藤", "花子", "サトウ", "ハナコ", f"090{n:08d}"),
    )


def _queries(client, query: str = "") -> int:
    with CaptureQueriesContext(connection) as captured:
        response = client.get(f"/staff/day/{THURSDAY.isoformat()}/{query}")
    assert response.status_code == 200
    return len(captured.captured_queries)


def test_two_hundred_appointments_cost_the_queries_of_one(clerk_client, frozen) -> None:
    slots = [factories.slot(THURSDAY, time(9 + i // 2, 30 * (i % 2)), places=25) for i in range(8)]
    first = _book(slots[0], 0)
    clerk_client.get(f"/staff/day/{THURSDAY.isoformat()}/")  # the session and the role caches, once
    one = _queries(clerk_client)
    assert first.display_number in clerk_client.get(f"/staff/day/{THURSDAY.isoformat()}/").content.decode()

    # 199 more, in every state, most linked to a resident, a certificate and an issued certificate.
    resident = factories.resident()
    certificate = factories.certificate(resident, issued_on=date(2026, 6, 10))
    issued = factories.certificate(resident, issued_on=date(2026, 11, 20))
    statuses = ["booked", "arrived", "done", "no_show", "cancelled"]
    for n in range(1, 200):
        reservation = _book(slots[n % len(slots)], n)
        Reservation.objects.filter(pk=reservation.pk).update(
            status=statuses[n % len(statuses)],
            resident=resident if n % 3 else None,
            certificate=certificate if n % 3 else None,
            issued_certificate=issued if n % 5 == 2 else None,
        )
    two_hundred = _queries(clerk_client)
    html = clerk_client.get(f"/staff/day/{THURSDAY.isoformat()}/").content.decode()
    assert html.count('<tr class="status-') == 200
    assert two_hundred == one


def test_the_whole_city_and_one_office_cost_the_same_queries_however_busy(clerk_client, frozen) -> None:
    """Two offices, responsible clerks, needs at the counter, absent clerks: every column the list can show."""
    office, branch = factories.office_with_procedure("北支所", phone="06-0000-0000", slug="kita")
    slots = [factories.slot(THURSDAY, time(9 + i // 2, 30 * (i % 2)), places=25) for i in range(4)]
    # The branch's own clerks: factories.slot would qualify the main office's clerks for the branch too.
    for name in ("kita1", "kita2"):
        factories.on_duty(factories.clerk(name, branch), THURSDAY, time(14, 0), time(14, 30))
    at_branch = Slot.objects.create(
        procedure=branch, day=THURSDAY, start=time(14, 0), end=time(14, 30), places=2, rota_places=2
    )
    _book(slots[0], 0)
    _book(at_branch, 1)
    city, one_office = "", f"?office={office.pk}"
    clerk_client.get(f"/staff/day/{THURSDAY.isoformat()}/")
    before = {query: _queries(clerk_client, query) for query in (city, one_office)}

    resident = factories.resident()
    certificate = factories.certificate(resident, issued_on=date(2026, 6, 10))
    for n in range(2, 101):
        reservation = _book(at_branch if n == 100 else slots[n % len(slots)], n)
        Reservation.objects.filter(pk=reservation.pk).update(
            status=["booked", "arrived", "done"][n % 3],
            resident=resident if n % 2 else None,
            certificate=certificate if n % 2 else None,
            needs=["wheelchair"] if n % 4 == 0 else [],
            notes="二行の\nメモ" if n % 5 == 0 else "",
            arrived_at=datetime(2026, 11, 26, 9, 5, tzinfo=factories.JST) if n % 3 else None,
        )
        if n % 7 == 0:
            UnstaffedBooking.objects.create(reservation=reservation)
    after = {query: _queries(clerk_client, query) for query in (city, one_office)}
    assert after == before

    html = clerk_client.get(f"/staff/day/{THURSDAY.isoformat()}/").content.decode()
    assert html.count('<tr class="status-') == 101
    assert html.count("<br><small>北支所</small>") == 2
    assert html.count("担当者が不在") == len(range(7, 101, 7))
    assert html.count("配慮：車いす") == len(range(4, 101, 4))
    branch_only = clerk_client.get(f"/staff/day/{THURSDAY.isoformat()}/{one_office}").content.decode()
    assert branch_only.count('<tr class="status-') == 2


def test_every_view_of_the_day_list_is_in_the_access_log(clerk_client, alice, frozen) -> None:
    _book(factories.slot(THURSDAY, time(9, 0)), 0)
    for _ in range(3):
        clerk_client.get(f"/staff/day/{THURSDAY.isoformat()}/")
    views = AccessLog.objects.filter(user=alice, action=AccessLog.Action.VIEW, detail=f"予約一覧 {THURSDAY}")
    assert views.count() == 3


def test_an_arrival_marked_by_one_clerk_shows_on_the_other_clerks_next_load(clerk_client, alice, bob, frozen) -> None:
    from tests.conftest import verify_second_factor

    slot = factories.slot(factories.TODAY, time(16, 0))
    reservation = reservation_book(
        procedure=slot.procedure,
        slot_id=slot.pk,
        acknowledged=list(slot.procedure.acknowledgements.values_list("pk", flat=True)),
        contact=Contact("佐藤", "花子", "サトウ", "ハナコ", "090-1111-2222"),
        channel=Reservation.Channel.PHONE,
        user=alice,
    )
    other = Client()
    other.force_login(bob)
    verify_second_factor(other, bob)
    path = f"/staff/day/{factories.TODAY.isoformat()}/"
    assert f'<tr class="status-booked" id="r-{reservation.pk}">' in other.get(path).content.decode()
    clerk_client.post(f"/staff/reservations/{reservation.pk}/status/", {"status": "arrived", "expected": "booked"})
    html = other.get(path).content.decode()
    assert f'<tr class="status-arrived" id="r-{reservation.pk}">' in html
    assert "来庁 10:00" in html
