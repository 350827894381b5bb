"""What the office asked for, path by path, through the pages: the supervisor qualifies a clerk and sets the rota;
the public calendar offers places only where a qualified clerk is on duty; a booking gets a responsible clerk; an
absence entered after bookings exist moves or flags every affected booking; a newly qualified clerk serves an
appointment following the guide."""

from __future__ import annotations

import re
from datetime import date, time

import pytest
from django.test import Client

from reservations import booking, staffing
from reservations.models import GuideTick, GuideVersion, Reservation, RotaLog, Slot, UnstaffedBooking
from tests import factories
from tests.reservations.test_rota import make_booking

pytestmark = pytest.mark.django_db

THURSDAY = date(2026, 11, 26)
FRIDAY = date(2026, 11, 27)


def month_marks(client: Client, slug: str = "jr-pass") -> dict[int, str]:
    """Day of December 2026 -> the mark the public month calendar shows for it."""
    html = client.get(f"/book/p/{slug}/?month=2026-12").content.decode()
    table = html[html.index("<table") : html.index("</table>")]
    found = re.findall(r"<td[^>]*>(?:<a [^>]*>|<span>)(\d+)<span class=\"mark\">([^<]+)</span>", table)
    return {int(day): mark for day, mark in found}


def test_the_public_calendar_offers_places_only_on_days_a_qualified_clerk_is_on_duty(
    supervisor_client, frozen, django_capture_on_commit_callbacks
) -> None:
    procedure = factories.procedure()
    newcomer = factories.user("newcomer", "clerk")
    factories.weekly(newcomer)  # at the counter every weekday, not qualified
    staffing.slots_sync_all()
    assert set(month_marks(Client()).values()) <= {"満員", "休み", "受付外"}

    # The supervisor qualifies the newcomer and puts them at the counter on Thursday mornings only; the cached
    # month is replaced once the changes commit.
    with django_capture_on_commit_callbacks(execute=True):
        supervisor_client.post("/staff/qualifications/", {"user": newcomer.pk, "procedure": [procedure.pk]})
        supervisor_client.post(
            "/staff/rota/",
            {
                "action": "pattern",
                "pattern-user": newcomer.pk,
                "pattern-weekdays": ["0", "1", "2", "4"],
                "pattern-off": "on",
            },
        )
        supervisor_client.post(
            "/staff/rota/",
            {
                "action": "pattern",
                "pattern-user": newcomer.pk,
                "pattern-weekdays": ["3"],
                "pattern-start": "09:00",
                "pattern-end": "12:00",
            },
        )
    marks = month_marks(Client())
    assert {day for day, mark in marks.items() if mark == "空きあり"} == {3, 10, 17, 24}
    assert marks[4] == "満員" and marks[1] == "満員"  # a Friday and a Tuesday: open, but nobody to serve
    times = Client().get("/book/p/jr-pass/2026-12-03/").content.decode()
    assert re.search(r'class="button">0?9:00〜0?9:30', times)
    assert 'full-slot">13:00〜13:30' in times


def test_an_absence_after_bookings_moves_or_lists_every_affected_booking_and_leaves_the_rest(
    supervisor_client, bob, frozen
) -> None:
    sato = factories.clerk("sato", family_name="佐藤")
    ito = factories.clerk("ito", family_name="伊藤")
    factories.weekly(sato)
    factories.on_duty(ito, THURSDAY, time(9, 0), time(10, 0))
    procedure = factories.procedure()
    staffing.slots_sync(procedure=procedure, start=THURSDAY, end=THURSDAY)
    at = {s.start: s for s in Slot.objects.filter(day=THURSDAY)}
    moved = make_booking(at[time(9, 0)], sato)
    listed = make_booking(at[time(9, 30)], sato)
    colleague = make_booking(at[time(9, 30)], ito)  # Ito is busy at 9:30: nobody can take Sato's booking then
    outside = make_booking(at[time(11, 0)], sato)

    response = supervisor_client.post(
        "/staff/rota/",
        {
            "action": "exception",
            "exc-user": sato.pk,
            "exc-day": "2026-11-26",
            "exc-start": "09:00",
            "exc-end": "10:00",
            "exc-kind": "training",
        },
    )
    page = supervisor_client.get(response["Location"]).content.decode()
    rows = re.findall(r"<tr><td>.*?</tr>", page, flags=re.S)
    assert len(rows) == 2
    assert moved.display_number in rows[0] and "別の担当者に移しました" in rows[0] and "伊藤" in rows[0]
    assert listed.display_number in rows[1] and "交代できる担当者がいません" in rows[1]
    for r in (moved, listed, colleague, outside):
        r.refresh_from_db()
    assert (moved.clerk, listed.clerk, colleague.clerk, outside.clerk) == (ito, sato, ito, sato)
    assert list(UnstaffedBooking.objects.filter(resolved_at__isnull=True).values_list("reservation", flat=True)) == [
        listed.pk
    ]
    # Nothing overbooked: each slot keeps exactly what it holds, and the 9:30 slot takes no one else.
    for slot in Slot.objects.filter(day=THURSDAY, start__in=[time(9, 0), time(9, 30)]):
        assert slot.places == slot.booked == Reservation.objects.filter(slot=slot, status="booked").count()
    assert RotaLog.objects.filter(actor=bob, action__in=["reassigned", "unstaffed"]).count() == 2
    assert listed.display_number in supervisor_client.get("/staff/unstaffed/").content.decode()


def test_a_newly_qualified_clerk_gets_a_booking_and_serves_it_following_the_guide(
    supervisor_client, bob, frozen
) -> None:
    procedure = factories.procedure()
    suzuki = factories.user("suzuki", "clerk")
    suzuki.last_name, suzuki.first_name = "鈴木", "次郎"
    suzuki.save()
    supervisor_client.post("/staff/qualifications/", {"user": suzuki.pk, "procedure": [procedure.pk]})
    supervisor_client.post(
        "/staff/rota/",
        {
            "action": "pattern",
            "pattern-user": suzuki.pk,
            "pattern-weekdays": ["3"],
            "pattern-start": "09:00",
            "pattern-end": "12:00",
        },
    )
    slot = Slot.objects.get(day=THURSDAY, start=time(9, 0))
    assert slot.places == 1
    reservation = booking.reservation_book(
        procedure=procedure,
        slot_id=slot.pk,
        acknowledged=list(procedure.acknowledgements.values_list("pk", flat=True)),
        contact=booking.Contact("高橋", "健", "タカハシ", "ケン", "06-1111-0002"),
    )
    assert reservation.clerk == suzuki
    assert RotaLog.objects.filter(action="assigned", reservation=reservation, clerk=suzuki).exists()

    desk = Client()
    desk.force_login(suzuki)
    assert reservation.display_number in desk.get("/staff/mine/").content.decode()
    page = desk.get(f"/staff/reservations/{reservation.pk}/serve/").content.decode()
    assert "窓口案内（第1版）" in page
    guide = GuideVersion.objects.get(procedure=procedure, version=1)
    steps = [line.index for line in staffing.guide_lines(guide) if not line.heading]
    desk.post(f"/staff/reservations/{reservation.pk}/serve/", {"guide": guide.pk, "step": [str(s) for s in steps]})
    ticks = GuideTick.objects.filter(reservation=reservation, done=True)
    assert ticks.count() == len(steps)
    assert {(t.guide.version, t.by) for t in ticks} == {(1, suzuki)}
