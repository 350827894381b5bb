"""The booking rules (reservations/rules.py): every screen and job gets the same answer from them."""

from datetime import date, datetime, time

import pytest
import time_machine
from django.db.models import F

from notices.selectors import bookable_places
from reservations import rules, selectors
from reservations.models import CalendarDay, CapacityOverride, Slot
from reservations.slots import slots_generate
from tests import factories

pytestmark = pytest.mark.django_db


def _close(start: date, end: date) -> None:
    day = start
    while day <= end:
        CalendarDay.objects.create(day=day, kind="closed", note="庁舎改修")
        day = date.fromordinal(day.toordinal() + 1)


def test_after_a_long_closure_the_calendar_and_the_booking_check_agree_on_the_cutoff() -> None:
    """A closure of five weeks: the previous office day of 6 January is 30 November, more than 20 days before the
    month's first row. The cut-off for 6 January is on 30 November, on the calendar as in the booking check."""
    procedure = factories.procedure()
    _close(date(2026, 12, 1), date(2027, 1, 5))
    factories.slot(date(2027, 1, 6), proc=procedure)
    assert rules.booking_deadline(procedure=procedure, day=date(2027, 1, 6)) == datetime(
        2026, 11, 30, procedure.cutoff_hour, tzinfo=factories.JST
    )

    def state_on_calendar(now: datetime) -> str:
        weeks = selectors.month_availability(procedure=procedure, year=2027, month=1, now=now)
        return next(cell.state for week in weeks for cell in week if cell.day == date(2027, 1, 6))

    before = datetime(2026, 11, 30, 9, 0, tzinfo=factories.JST)
    after = datetime(2026, 12, 2, 9, 0, tzinfo=factories.JST)
    assert rules.day_is_bookable(procedure=procedure, day=date(2027, 1, 6), now=before)
    assert state_on_calendar(before) == "open"
    assert not rules.day_is_bookable(procedure=procedure, day=date(2027, 1, 6), now=after)
    assert state_on_calendar(after) == "outside"


def test_the_cutoff_falls_on_the_previous_office_day_over_a_weekend() -> None:
    procedure = factories.procedure()
    monday = date(2026, 11, 30)
    friday_cutoff = datetime(2026, 11, 27, procedure.cutoff_hour, tzinfo=factories.JST)
    assert rules.booking_deadline(procedure=procedure, day=monday) == friday_cutoff
    states = rules.day_states(
        procedure=procedure, start=date(2026, 11, 27), end=monday, now=datetime(2026, 11, 27, 9, tzinfo=factories.JST)
    )
    assert states == {
        date(2026, 11, 27): rules.OUTSIDE,  # its own cut-off was on Thursday
        date(2026, 11, 28): rules.CLOSED,
        date(2026, 11, 29): rules.CLOSED,
        monday: rules.BOOKABLE,
    }


def test_the_forecast_counts_exactly_the_places_slot_generation_makes() -> None:
    procedure = factories.procedure()
    procedure.places_per_slot = 5  # the cap allows the change to 5 places below
    procedure.save()
    factories.staffed(5)
    start, end = date(2026, 11, 30), date(2026, 12, 13)
    CalendarDay.objects.create(day=date(2026, 12, 2), kind="closed", note="研修")
    CalendarDay.objects.create(day=date(2026, 12, 5), kind="open", hours_like=0, note="土曜開庁")
    CapacityOverride.objects.create(procedure=procedure, day=date(2026, 12, 3), start=None, places=1)
    CapacityOverride.objects.create(procedure=procedure, day=date(2026, 12, 3), start=time(9, 0), places=5)
    slots_generate(procedure=procedure, start=start, end=end)
    made = sum(Slot.objects.filter(procedure=procedure, day__gte=start, day__lte=end).values_list("places", flat=True))
    assert made == bookable_places(procedure, start, end)
    # Nine office days (the Saturday opening included) of 13 slots with 2 places, and 3 December: 5 at 9:00 and
    # 1 in each of its other 12 slots; 2 December is closed.
    assert made == 9 * 13 * 2 + 5 + 12


def test_staff_can_book_a_slot_that_has_begun_until_its_duration_has_run_out(clerk_client) -> None:
    procedure = factories.procedure()
    begun = factories.slot(factories.TODAY, time(9, 50), proc=procedure)
    over = factories.slot(factories.TODAY, time(9, 30), proc=procedure)
    with time_machine.travel(factories.NOW, tick=False):
        assert rules.staff_can_book(begun, now=factories.NOW)
        assert not rules.staff_can_book(over, now=factories.NOW)
        page = clerk_client.get(f"/staff/book/?day={factories.TODAY.isoformat()}&procedure={procedure.pk}")
    assert f'value="{begun.pk}"' in page.content.decode()
    assert f'value="{over.pk}"' not in page.content.decode()


def test_the_calendar_opens_on_the_first_month_with_a_free_place_read_in_one_round_trip() -> None:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    procedure = factories.procedure()
    now = factories.NOW
    first, last = rules.bookable_range(procedure=procedure, now=now)
    factories.slot(date(2026, 11, 30), places=2, booked=2)  # November's and December's places are all taken
    factories.slot(date(2026, 12, 7), places=1, booked=1)
    factories.slot(date(2027, 1, 6), places=3, booked=1)
    factories.slot(date(2027, 1, 6), time(10, 0), places=2)
    selectors.opening_month(procedure=procedure, now=now)  # the office's closures, kept in the process
    with CaptureQueriesContext(connection) as queries:
        (year, month), places_left = selectors.opening_month(procedure=procedure, now=now)
    # The slots in one round trip (the closures' version, a row here, is a cache read with Redis).
    slot_reads = [q["sql"] for q in queries.captured_queries if "reservations_slot" in q["sql"]]
    assert len(slot_reads) == (1 if connection.vendor == "postgresql" else 2)
    assert (year, month) == (2027, 1) and last >= date(2027, 1, 6)
    assert places_left[date(2027, 1, 6)] == 4 and places_left[date(2026, 11, 30)] == 0
    # The month drawn from what was read together is the month as read on its own.
    assert selectors.month_availability(
        procedure=procedure, year=year, month=month, now=now, places_left=places_left
    ) == selectors.month_availability(procedure=procedure, year=year, month=month, now=now)
    Slot.objects.filter(day=date(2027, 1, 6)).update(booked=F("places"))
    assert selectors.opening_month(procedure=procedure, now=now)[0] == (first.year, first.month)
