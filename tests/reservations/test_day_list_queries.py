"""The day list reads a fixed number of queries, whether the day has one appointment or two hundred."""

from datetime import date, time

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from reservations.booking import Contact, reservation_book
from reservations.models import Reservation
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


def _queries(client) -> int:
    with CaptureQueriesContext(connection) as captured:
        response = client.get(f"/staff/day/{THURSDAY.isoformat()}/")
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
