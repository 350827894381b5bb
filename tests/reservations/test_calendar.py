from datetime import date, time

import pytest

from reservations import calendar, slots
from reservations.models import CalendarDay, CapacityOverride, Slot
from staff import counters
from tests import factories

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("day", "reason"),
    [
        (date(2026, 11, 28), "土曜日"),
        (date(2026, 11, 29), "日曜日"),
        (date(2026, 9, 21), "敬老の日"),
        (date(2026, 9, 22), "国民の休日"),
        (date(2026, 5, 6), "振替休日"),
        (date(2025, 11, 24), "振替休日"),
        (date(2026, 12, 29), "年末年始"),
        (date(2026, 12, 31), "年末年始"),
        (date(2027, 1, 1), "年末年始"),
        (date(2027, 1, 3), "年末年始"),
    ],
)
def test_the_office_is_closed_on_weekends_holidays_and_the_year_end(day, reason) -> None:
    assert not calendar.is_office_day(day)
    assert reason in calendar.closed_reason(day)


@pytest.mark.parametrize("day", [date(2026, 12, 28), date(2027, 1, 4), date(2026, 11, 25), date(2026, 9, 24)])
def test_the_office_is_open_on_ordinary_weekdays(day) -> None:
    assert calendar.is_office_day(day)


def test_office_closures_and_special_openings_override_the_rules() -> None:
    CalendarDay.objects.create(day=date(2026, 11, 26), kind="closed", note="システム更新")
    CalendarDay.objects.create(day=date(2026, 11, 22), kind="open", note="第4日曜開庁")
    assert not calendar.is_office_day(date(2026, 11, 26))
    assert calendar.closed_reason(date(2026, 11, 26)) == ""  # reason only from the exception row
    assert calendar.is_office_day(date(2026, 11, 22))
    assert calendar.office_days(date(2026, 11, 21), date(2026, 11, 27)) == [
        date(2026, 11, 22),
        date(2026, 11, 24),
        date(2026, 11, 25),
        date(2026, 11, 27),
    ]


def test_office_days_across_the_year_end() -> None:
    assert calendar.office_days(date(2026, 12, 25), date(2027, 1, 5)) == [
        date(2026, 12, 25),
        date(2026, 12, 28),
        date(2027, 1, 4),
        date(2027, 1, 5),
    ]


def test_previous_and_next_office_day_skip_closed_days() -> None:
    assert calendar.previous_office_day(date(2027, 1, 4)) == date(2026, 12, 28)
    assert calendar.next_office_day(date(2026, 11, 27)) == date(2026, 11, 30)


def test_slots_are_generated_from_opening_hours_only_on_office_days(frozen) -> None:
    procedure = factories.procedure()
    factories.staffed(2)
    created = slots.slots_generate(procedure=procedure, start=date(2026, 11, 23), end=date(2026, 11, 29))
    days = sorted(set(Slot.objects.values_list("day", flat=True)))
    # 23 Nov is 勤労感謝の日; 28/29 are the weekend.
    assert days == [date(2026, 11, 24), date(2026, 11, 25), date(2026, 11, 26), date(2026, 11, 27)]
    assert created == 4 * 13  # 9:00–12:00 and 13:00–16:30 in 30-minute slots
    assert Slot.objects.filter(day=date(2026, 11, 24), start=time(13, 0)).get().places == 2


def test_regenerating_applies_capacity_changes_but_never_below_bookings(frozen) -> None:
    procedure = factories.procedure()
    procedure.places_per_slot = 3  # the cap allows the change to 3 places below
    procedure.save()
    factories.staffed(3)
    day = date(2026, 11, 26)
    slots.slots_generate(procedure=procedure, start=day, end=day)
    Slot.objects.filter(day=day, start=time(9, 0)).update(booked=2)
    CapacityOverride.objects.create(procedure=procedure, day=day, places=1)
    CapacityOverride.objects.create(procedure=procedure, day=day, start=time(10, 0), places=3)
    slots.slots_generate(procedure=procedure, start=day, end=day)
    places = dict(Slot.objects.filter(day=day).values_list("start", "places"))
    assert places[time(9, 0)] == 2  # two already booked
    assert places[time(9, 30)] == 1
    assert places[time(10, 0)] == 3


def test_a_day_that_becomes_closed_keeps_its_bookings_and_takes_no_more(frozen) -> None:
    procedure = factories.procedure()
    factories.staffed(2)
    day = date(2026, 11, 26)
    slots.slots_generate(procedure=procedure, start=day, end=day)
    Slot.objects.filter(day=day, start=time(9, 0)).update(booked=1)
    CalendarDay.objects.create(day=day, kind="closed")
    slots.slots_generate(procedure=procedure, start=day, end=day)
    assert Slot.objects.get(day=day, start=time(9, 0)).places == 1
    assert not Slot.objects.filter(day=day, booked__lt=models_f_places()).exists()


def models_f_places():
    from django.db.models import F

    return F("places")


def test_a_special_opening_uses_the_hours_of_the_weekday_it_names(frozen) -> None:
    procedure = factories.procedure()
    CalendarDay.objects.create(day=date(2026, 11, 29), kind="open", hours_like=0)
    slots.slots_generate(procedure=procedure, start=date(2026, 11, 29), end=date(2026, 11, 29))
    assert Slot.objects.filter(day=date(2026, 11, 29)).count() == 13


def test_the_database_refuses_a_slot_booked_beyond_its_places(frozen) -> None:
    from django.db import IntegrityError, transaction

    slot = factories.slot(date(2026, 11, 26), places=1)
    with pytest.raises(IntegrityError), transaction.atomic():
        Slot.objects.filter(pk=slot.pk).update(booked=2)


def test_the_calendar_says_whether_its_month_came_from_the_cache(
    client, frozen, django_capture_on_commit_callbacks
) -> None:
    from reservations.booking import Contact, reservation_book

    slot = factories.slot(date(2026, 11, 26), places=2)
    assert client.get("/book/p/jr-pass/")["Server-Timing"] == "calendar;desc=miss"
    assert client.get("/book/p/jr-pass/")["Server-Timing"] == "calendar;desc=hit"

    def book(phone: str) -> None:
        with django_capture_on_commit_callbacks(execute=True):
            reservation_book(
                procedure=slot.procedure,
                slot_id=slot.pk,
                acknowledged=list(slot.procedure.acknowledgements.values_list("pk", flat=True)),
                contact=Contact("佐藤", "花子", "サトウ", "ハナコ", phone),
            )

    # A place is left on the day: the month looks the same.
    book("090-1234-5678")
    assert client.get("/book/p/jr-pass/")["Server-Timing"] == "calendar;desc=hit"
    # The last one: the day turns full.
    book("090-1234-5679")
    assert client.get("/book/p/jr-pass/")["Server-Timing"] == "calendar;desc=miss"


def test_each_process_keeps_the_office_calendar_until_a_change_raises_its_version(
    frozen, django_capture_on_commit_callbacks, django_assert_num_queries
) -> None:
    day = date(2026, 12, 3)
    assert calendar.is_office_day(day)
    # Kept: asking again reads only the version number (a row here; in Redis in production), not the closures.
    with django_assert_num_queries(1):
        assert calendar.is_office_day(day)
    # Another process closes the day: this process's copy is not told, until the version rises.
    CalendarDay.objects.bulk_create([CalendarDay(day=day, kind="closed", note="停電")])
    assert calendar.is_office_day(day)
    counters.increase(calendar.VERSION_KEY, in_memory=True)
    assert not calendar.is_office_day(day)
    # A change saved here is seen here at once, and raises the version for the others once it commits.
    before = counters.value(calendar.VERSION_KEY, in_memory=True)
    with django_capture_on_commit_callbacks(execute=True):
        CalendarDay.objects.filter(day=day).delete()
    assert calendar.is_office_day(day)
    assert counters.value(calendar.VERSION_KEY, in_memory=True) > before


def test_a_range_older_than_a_year_is_read_from_the_table(frozen) -> None:
    old = date(2025, 6, 4)
    CalendarDay.objects.create(day=old, kind="closed", note="旧庁舎の移転")
    assert calendar.office_days(old, old) == []


def test_slot_rebuilds_read_the_closures_from_the_table_not_the_process_copy(frozen) -> None:
    day = date(2026, 12, 3)
    assert calendar.is_office_day(day)  # now kept by this process
    CalendarDay.objects.bulk_create([CalendarDay(day=day, kind="closed", note="停電")])  # another process
    assert calendar.is_office_day(day)
    with calendar.from_table():
        assert not calendar.is_office_day(day)
    factories.slot(day, time(9, 0), places=2)
    slots.slots_generate_all(today=date(2026, 11, 25))
    assert Slot.objects.get(day=day, start=time(9, 0)).places == 0


def test_the_office_days_of_a_range_are_kept_until_a_change_raises_the_version(frozen) -> None:
    start, end = date(2026, 12, 1), date(2026, 12, 11)
    day = date(2026, 12, 3)
    assert day in calendar.office_days(start, end)
    CalendarDay.objects.bulk_create([CalendarDay(day=day, kind="closed", note="停電")])  # another process
    assert day in calendar.office_days(start, end)
    counters.increase(calendar.VERSION_KEY, in_memory=True)
    assert calendar.office_days(start, end) == [d for d in calendar.office_days(start, end) if d != day]
    assert day not in calendar.office_days(start, end)
    # A copy handed out is the caller's own: changing it changes nothing kept.
    calendar.office_days(start, end).clear()
    assert calendar.office_days(start, end)


def test_a_request_reads_the_calendar_version_once_and_the_next_request_reads_it_again(
    client, frozen, monkeypatch
) -> None:
    day = date(2026, 12, 3)
    factories.slot(day, time(9, 0), places=2)
    reads = []
    value = counters.value

    def counted(key, **kwargs):
        if key == calendar.VERSION_KEY:
            reads.append(key)
        return value(key, **kwargs)

    monkeypatch.setattr(counters, "value", counted)
    assert client.get("/book/p/jr-pass/?month=2026-12").status_code == 200
    assert len(reads) == 1  # the month's states and its closures' reasons both ask
    assert client.get(f"/book/p/jr-pass/{day}/").status_code == 200
    assert len(reads) == 2
    # Another process closes the day and raises the version: the next request sees it.
    CalendarDay.objects.bulk_create([CalendarDay(day=day, kind="closed", note="停電")])
    counters.increase(calendar.VERSION_KEY, in_memory=True)
    before = len(reads)
    assert client.get(f"/book/p/jr-pass/{day}/").status_code == 302
    assert len(reads) == before + 1
    # Outside a request every read asks.
    calendar.is_office_day(day)
    calendar.is_office_day(day)
    assert len(reads) == before + 3
