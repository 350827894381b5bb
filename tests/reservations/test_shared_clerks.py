"""A clerk is one place at a time: shared by the procedures (and offices) they are qualified for, and busy while
serving a walk-in. Every change that makes a clerk busy or free recomputes the other slots of that time at once."""

from __future__ import annotations

from datetime import date, time, timedelta

import pytest
from django.core.exceptions import ValidationError

from reservations import booking, rota, rules, staffing, walk_ins
from reservations.models import OpeningHours, Procedure, Reservation, Slot, WalkIn
from reservations.offices import office_procedure_copy
from tests import factories

pytestmark = pytest.mark.django_db

THURSDAY = date(2026, 11, 26)


def second_procedure(office=None) -> Procedure:
    """Another procedure at the same counter (or at `office`), with the same hours and acknowledgements."""
    procedure = factories.procedure()
    return office_procedure_copy(procedure=procedure, office=office or procedure.office, slug="jr-pass-second")


def morning(procedure: Procedure) -> None:
    """One 9:00–9:30 slot on Thursdays, cap 2."""
    OpeningHours.objects.filter(procedure=procedure).delete()
    OpeningHours.objects.create(
        procedure=procedure, weekday=3, start=time(9, 0), end=time(9, 30), slot_minutes=30, places=2
    )


def book(procedure: Procedure, slot: Slot, n: int, **extra) -> Reservation:
    return booking.reservation_book(
        procedure=procedure,
        slot_id=slot.pk,
        acknowledged=list(procedure.acknowledgements.values_list("pk", flat=True)),
        contact=booking.Contact("田中", "太郎", "タナカ", "タロウ", f"090-3000-{n:04d}"),
        **extra,
    )


def places(procedure: Procedure) -> tuple[int, int, int]:
    slot = Slot.objects.get(procedure=procedure, day=THURSDAY, start=time(9, 0))
    return slot.rota_places, slot.places, slot.booked


@pytest.fixture
def two_procedures(frozen):
    first = factories.procedure()
    second = second_procedure()
    for procedure in (first, second):
        morning(procedure)
    return first, second


def test_a_clerk_qualified_for_two_procedures_is_one_place_taken_by_the_first_booking(two_procedures) -> None:
    first, second = two_procedures
    shared = factories.clerk("sato", first)
    factories.clerk("sato", second)
    factories.weekly(shared, weekdays=[3])
    for procedure in (first, second):
        staffing.slots_sync(procedure=procedure, start=THURSDAY, end=THURSDAY)
    # Before any booking, both procedures offer the clerk's one place.
    assert places(first) == (1, 1, 0) and places(second) == (1, 1, 0)

    taken = book(first, Slot.objects.get(procedure=first, day=THURSDAY), 1)
    assert taken.clerk == shared
    assert places(second) == (0, 0, 0)
    with pytest.raises(booking.SlotFull):
        book(second, Slot.objects.get(procedure=second, day=THURSDAY), 2)
    # The forecast and a later slot generation say the same as the refresh at booking time.
    assert rules.slot_places(procedure=second, start=THURSDAY, end=THURSDAY)[(THURSDAY, time(9, 0))][1] == 0
    staffing.slots_sync(procedure=second, start=THURSDAY, end=THURSDAY)
    assert places(second) == (0, 0, 0)

    booking.reservation_cancel(reservation=taken, user=factories.clerk("sato"))
    assert places(second) == (1, 1, 0)
    assert book(second, Slot.objects.get(procedure=second, day=THURSDAY), 3).clerk == shared


def test_a_shared_clerk_leaves_the_colleague_who_is_qualified_for_one_procedure_only(two_procedures) -> None:
    first, second = two_procedures
    shared = factories.clerk("sato", first)
    factories.clerk("sato", second)
    only_second = factories.clerk("ito", second)
    factories.weekly(shared, weekdays=[3])
    factories.weekly(only_second, weekdays=[3])
    for procedure in (first, second):
        staffing.slots_sync(procedure=procedure, start=THURSDAY, end=THURSDAY)
    assert places(first) == (1, 1, 0) and places(second) == (2, 2, 0)
    assert book(first, Slot.objects.get(procedure=first, day=THURSDAY), 1).clerk == shared
    assert places(second) == (1, 1, 0)
    assert book(second, Slot.objects.get(procedure=second, day=THURSDAY), 2).clerk == only_second
    assert places(second) == (1, 1, 1)
    with pytest.raises(booking.SlotFull):
        book(second, Slot.objects.get(procedure=second, day=THURSDAY), 3)


def test_a_booking_held_in_the_slot_keeps_its_clerk_counted_there(two_procedures) -> None:
    first, second = two_procedures
    shared = factories.clerk("sato", first)
    factories.clerk("sato", second)
    factories.weekly(shared, weekdays=[3])
    for procedure in (first, second):
        staffing.slots_sync(procedure=procedure, start=THURSDAY, end=THURSDAY)
    book(second, Slot.objects.get(procedure=second, day=THURSDAY), 1)
    staffing.slots_sync(procedure=second, start=THURSDAY, end=THURSDAY)
    assert places(second) == (1, 1, 1)  # the clerk's booking is a place of this slot, not a reason to lose it
    assert places(first) == (0, 0, 0)


def test_a_clerk_shared_by_two_offices_is_one_place_at_a_time(frozen) -> None:
    main = factories.procedure()
    _office, branch = factories.office_with_procedure("北支所", phone="06-0000-1000", slug="jr-pass-kita")
    for procedure in (main, branch):
        morning(procedure)
    veteran = factories.clerk("veteran", main)
    factories.clerk("veteran", branch)
    factories.weekly(veteran, weekdays=[3])
    for procedure in (main, branch):
        staffing.slots_sync(procedure=procedure, start=THURSDAY, end=THURSDAY)
    book(branch, Slot.objects.get(procedure=branch, day=THURSDAY), 1)
    assert places(main) == (0, 0, 0)


def test_moving_a_booking_to_another_time_frees_the_clerk_for_the_other_procedure(two_procedures) -> None:
    first, second = two_procedures
    for procedure in (first, second):
        OpeningHours.objects.filter(procedure=procedure).update(end=time(10, 0))
    shared = factories.clerk("sato", first)
    factories.clerk("sato", second)
    factories.weekly(shared, weekdays=[3])
    for procedure in (first, second):
        staffing.slots_sync(procedure=procedure, start=THURSDAY, end=THURSDAY)
    taken = book(first, Slot.objects.get(procedure=first, day=THURSDAY, start=time(9, 0)), 1)
    assert places(second) == (0, 0, 0)
    later = Slot.objects.get(procedure=first, day=THURSDAY, start=time(9, 30))
    booking.reservation_change(reservation=taken, new_slot_id=later.pk)
    assert places(second) == (1, 1, 0)
    assert Slot.objects.get(procedure=second, day=THURSDAY, start=time(9, 30)).places == 0


def test_the_supervisor_reassigning_a_booking_moves_the_busy_place_with_it(two_procedures, bob) -> None:
    first, second = two_procedures
    shared = factories.clerk("sato", first)
    factories.clerk("sato", second)
    colleague = factories.clerk("ito", first)
    factories.weekly(shared, weekdays=[3])
    factories.weekly(colleague, weekdays=[3])
    for procedure in (first, second):
        staffing.slots_sync(procedure=procedure, start=THURSDAY, end=THURSDAY)
    taken = book(first, Slot.objects.get(procedure=first, day=THURSDAY), 1)
    # Ito has the same load: the lower id wins the tie, which is Sato.
    assert taken.clerk == shared
    assert places(second) == (0, 0, 0)
    staffing.reservation_reassign(reservation=taken, clerk_id=colleague.pk, actor=bob)
    assert places(second) == (1, 1, 0)


def test_a_clerk_serving_a_walk_in_is_no_place_until_done(frozen) -> None:
    procedure = factories.procedure()
    procedure.walk_ins_accepted = True
    procedure.save()
    clerk = factories.clerk("sato", procedure)
    # Today, Wednesday 25 November at 10:00: the clerk is at the counter from 10:00 to 11:00.
    factories.on_duty(clerk, factories.TODAY, time(10, 0), time(11, 0))
    staffing.slots_sync(procedure=procedure, start=factories.TODAY, end=factories.TODAY)
    now_slot = Slot.objects.get(procedure=procedure, day=factories.TODAY, start=time(10, 0))
    assert (now_slot.rota_places, now_slot.places) == (1, 1)
    assert staffing.walk_in_status(procedure=procedure, now=factories.NOW).can_serve

    walk_in = walk_ins.walk_in_record(procedure=procedure, user=clerk)
    walk_ins.walk_in_mark(walk_in=walk_in, step="called", user=clerk)
    now_slot.refresh_from_db()
    assert (now_slot.rota_places, now_slot.places, now_slot.booked) == (0, 0, 0)
    # The slot of 10:30 is untouched: the walk-in is expected to take the appointment length (15 minutes).
    assert Slot.objects.get(procedure=procedure, day=factories.TODAY, start=time(10, 30)).places == 1
    status = staffing.walk_in_status(procedure=procedure, now=factories.NOW)
    assert not status.can_serve
    with pytest.raises(booking.SlotFull):
        book(procedure, now_slot, 1, channel="counter", user=clerk)

    frozen.shift(timedelta(minutes=12))
    walk_ins.walk_in_mark(walk_in=walk_in, step="done", user=clerk)
    now_slot.refresh_from_db()
    assert (now_slot.rota_places, now_slot.places) == (1, 1)
    assert book(procedure, now_slot, 2, channel="counter", user=clerk).clerk == clerk
    assert WalkIn.objects.get(pk=walk_in.pk).clerk == clerk


def test_a_walk_in_called_by_a_clerk_who_is_not_at_the_counter_takes_no_place(frozen, alice) -> None:
    procedure = factories.procedure()
    clerk = factories.clerk("sato", procedure)
    factories.on_duty(clerk, factories.TODAY, time(10, 0), time(11, 0))
    staffing.slots_sync(procedure=procedure, start=factories.TODAY, end=factories.TODAY)
    walk_in = walk_ins.walk_in_record(procedure=procedure, user=alice)
    walk_ins.walk_in_mark(walk_in=walk_in, step="called", user=alice)
    assert Slot.objects.get(procedure=procedure, day=factories.TODAY, start=time(10, 0)).places == 1


def test_the_day_list_button_calls_a_walk_in_as_the_clerk_who_pressed_it(client, frozen) -> None:
    procedure = factories.procedure()
    clerk = factories.clerk("sato", procedure)
    factories.on_duty(clerk, factories.TODAY, time(10, 0), time(11, 0))
    staffing.slots_sync(procedure=procedure, start=factories.TODAY, end=factories.TODAY)
    client.force_login(clerk)
    client.post("/staff/walk-in/", {"procedure": procedure.pk, "served": "on", "note": ""})
    walk_in = WalkIn.objects.get()
    client.post(f"/staff/walk-in/{walk_in.pk}/step/", {"step": "called"})
    assert WalkIn.objects.get().clerk == clerk
    assert Slot.objects.get(procedure=procedure, day=factories.TODAY, start=time(10, 0)).places == 0
    assert "担当できる職員は、いまの時間の予約に対応中です" not in client.get("/staff/walk-ins/").content.decode()


def test_the_busy_spans_read_bookings_of_every_procedure_and_walk_ins(two_procedures, alice) -> None:
    first, second = two_procedures
    clerk = factories.clerk("sato", first)
    factories.weekly(clerk, weekdays=[3])
    staffing.slots_sync(procedure=first, start=THURSDAY, end=THURSDAY)
    book(first, Slot.objects.get(procedure=first, day=THURSDAY), 1)
    busy = rota.busy_for(start=THURSDAY, end=THURSDAY)
    assert busy.serving(clerk.pk, THURSDAY, time(9, 15), time(9, 45))
    assert not busy.serving(clerk.pk, THURSDAY, time(9, 30), time(10, 0))
    assert busy.counts_for(clerk.pk, THURSDAY, time(9, 0), time(9, 30), first.pk)
    assert not busy.counts_for(clerk.pk, THURSDAY, time(9, 0), time(9, 30), second.pk)


def test_reassigning_to_a_clerk_serving_a_walk_in_is_refused(frozen, bob) -> None:
    procedure = factories.procedure()
    sato, ito = factories.clerk("sato", procedure), factories.clerk("ito", procedure)
    for clerk in (sato, ito):
        factories.on_duty(clerk, factories.TODAY, time(10, 0), time(11, 0))
    staffing.slots_sync(procedure=procedure, start=factories.TODAY, end=factories.TODAY)
    slot = Slot.objects.get(procedure=procedure, day=factories.TODAY, start=time(10, 0))
    taken = book(procedure, slot, 1, channel="counter", user=sato)
    other = ito if taken.clerk == sato else sato
    walk_in = walk_ins.walk_in_record(procedure=procedure, user=other)
    walk_ins.walk_in_mark(walk_in=walk_in, step="called", user=other)
    with pytest.raises(ValidationError, match="別の予約を担当しています"):
        staffing.reservation_reassign(reservation=taken, clerk_id=other.pk, actor=bob)
