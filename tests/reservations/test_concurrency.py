"""The last place in a slot is taken once only, however many requests race for it (each on its own connection)."""

from __future__ import annotations

import threading
from datetime import date, time

import pytest
from django.core.exceptions import ValidationError
from django.db import connection

from reservations import booking
from reservations.models import Reservation, Slot
from tests import factories

THURSDAY = date(2026, 11, 26)


def race(slot: Slot, clients: int) -> tuple[int, int, list[BaseException]]:
    procedure = slot.procedure
    acks = list(procedure.acknowledgements.values_list("pk", flat=True))
    barrier = threading.Barrier(clients)
    lock = threading.Lock()
    won, full, errors = [0], [0], []

    def attempt(index: int) -> None:
        try:
            barrier.wait(timeout=30)
            booking.reservation_book(
                procedure=procedure,
                slot_id=slot.pk,
                acknowledged=acks,
                contact=booking.Contact("田中", "太郎", "タナカ", "タロウ", f"090-0000-{index:04d}"),
            )
            with lock:
                won[0] += 1
        except booking.SlotFull:
            with lock:
                full[0] += 1
        except (ValidationError, Exception) as exc:  # every other outcome is a failure
            with lock:
                errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=attempt, args=(i,)) for i in range(clients)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    return won[0], full[0], errors


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize(("places", "clients"), [(1, 24), (3, 24)])
def test_parallel_bookings_never_exceed_the_places(frozen, places, clients) -> None:
    slot = factories.slot(THURSDAY, time(9, 0), places=places)
    won, full, errors = race(slot, clients)
    assert errors == []
    assert (won, full) == (places, clients - places)
    slot.refresh_from_db()
    assert slot.booked == places
    assert Reservation.objects.filter(slot=slot, status="booked").count() == places


@pytest.mark.django_db(transaction=True)
def test_parallel_changes_into_the_last_place_move_only_one_booking(frozen) -> None:
    source = factories.slot(THURSDAY, time(9, 0), places=20)
    target = factories.slot(THURSDAY, time(10, 0), places=1)
    acks = list(source.procedure.acknowledgements.values_list("pk", flat=True))
    reservations = [
        booking.reservation_book(
            procedure=source.procedure,
            slot_id=source.pk,
            acknowledged=acks,
            contact=booking.Contact("田中", "太郎", "タナカ", "タロウ", f"090-1000-{i:04d}"),
        )
        for i in range(20)
    ]
    barrier = threading.Barrier(len(reservations))
    outcomes: list[str] = []
    lock = threading.Lock()

    def move(reservation: Reservation) -> None:
        try:
            barrier.wait(timeout=30)
            booking.reservation_change(reservation=reservation, new_slot_id=target.pk)
            result = "moved"
        except booking.SlotFull:
            result = "full"
        except Exception as exc:
            result = repr(exc)
        finally:
            connection.close()
        with lock:
            outcomes.append(result)

    threads = [threading.Thread(target=move, args=(r,)) for r in reservations]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert sorted(outcomes) == ["full"] * 19 + ["moved"]
    source.refresh_from_db()
    target.refresh_from_db()
    assert (source.booked, target.booked) == (19, 1)
    assert Reservation.objects.filter(slot=target).count() == 1


@pytest.mark.django_db(transaction=True)
def test_two_residents_racing_for_the_last_place_of_a_slot_served_by_one_clerk_give_one_booking(frozen) -> None:
    from reservations import slots

    procedure = factories.procedure()
    veteran = factories.clerk("veteran", procedure)
    factories.weekly(veteran, weekdays=[THURSDAY.weekday()], start=time(9, 0), end=time(9, 30))
    slots.slots_generate(procedure=procedure, start=THURSDAY, end=THURSDAY)
    slot = Slot.objects.get(procedure=procedure, day=THURSDAY, start=time(9, 0))
    assert (slot.places, slot.rota_places) == (1, 1)  # the cap is 2; one clerk gives one place
    won, full, errors = race(slot, 2)
    assert errors == []
    assert (won, full) == (1, 1)
    booked = Reservation.objects.get(slot=slot, status="booked")
    assert booked.clerk == veteran
    slot.refresh_from_db()
    assert slot.booked == 1


@pytest.mark.django_db(transaction=True)
def test_racing_bookings_of_a_slot_with_three_clerks_get_three_different_clerks(frozen) -> None:
    slot = factories.slot(THURSDAY, time(9, 0), places=3)
    won, full, errors = race(slot, 12)
    assert errors == []
    assert (won, full) == (3, 9)
    clerks = list(Reservation.objects.filter(slot=slot, status="booked").values_list("clerk_id", flat=True))
    assert len(set(clerks)) == 3 and None not in clerks


@pytest.mark.django_db(transaction=True)
def test_residents_racing_for_one_clerk_shared_by_two_procedures_give_one_booking(frozen) -> None:
    """Each procedure's slot row is its own, so the slot UPDATE alone cannot stop both procedures from taking the
    same clerk: the clerks' lock of the day does."""
    from reservations import slots, staffing
    from reservations.models import OpeningHours
    from reservations.offices import office_procedure_copy

    first = factories.procedure()
    second = office_procedure_copy(procedure=first, office=first.office, slug="jr-pass-second")
    shared = factories.clerk("veteran", first)
    factories.clerk("veteran", second)
    factories.weekly(shared, weekdays=[THURSDAY.weekday()], start=time(9, 0), end=time(9, 30))
    for procedure in (first, second):
        OpeningHours.objects.filter(procedure=procedure).delete()
        OpeningHours.objects.create(
            procedure=procedure, weekday=THURSDAY.weekday(), start=time(9, 0), end=time(9, 30), places=2
        )
        slots.slots_generate(procedure=procedure, start=THURSDAY, end=THURSDAY)
    targets = [Slot.objects.get(procedure=p, day=THURSDAY, start=time(9, 0)) for p in (first, second)]
    assert [s.places for s in targets] == [1, 1]

    clients = 8
    barrier = threading.Barrier(clients)
    lock = threading.Lock()
    outcomes: list[str] = []

    def attempt(index: int) -> None:
        slot = targets[index % 2]
        procedure = slot.procedure
        try:
            barrier.wait(timeout=30)
            booking.reservation_book(
                procedure=procedure,
                slot_id=slot.pk,
                acknowledged=list(procedure.acknowledgements.values_list("pk", flat=True)),
                contact=booking.Contact("田中", "太郎", "タナカ", "タロウ", f"090-2000-{index:04d}"),
            )
            result = "booked"
        except booking.SlotFull:
            result = "full"
        except Exception as exc:  # every other outcome is a failure
            result = repr(exc)
        finally:
            connection.close()
        with lock:
            outcomes.append(result)

    threads = [threading.Thread(target=attempt, args=(i,)) for i in range(clients)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert sorted(outcomes) == ["booked"] + ["full"] * (clients - 1)
    assert Reservation.objects.filter(status="booked", clerk=shared).count() == 1
    # The procedure that lost the clerk offers no place any more; the winner's slot holds its booking.
    left = {s.procedure_id: (s.places, s.booked) for s in Slot.objects.filter(pk__in=[t.pk for t in targets])}
    won = Reservation.objects.get(status="booked").procedure_id
    lost = second.pk if won == first.pk else first.pk
    assert left == {won: (1, 1), lost: (0, 0)}
    assert staffing.clerks_free(procedure_id=lost, day=THURSDAY, start=time(9, 0), end=time(9, 30)) == []


@pytest.mark.django_db(transaction=True)
def test_an_account_switched_off_while_residents_book_keeps_no_booking(frozen) -> None:
    """A booking that chose the clerk just before the switch-off commits first; the switch-off then re-staffs it.
    No booking is left with the switched-off clerk, none is lost, and no slot holds more than its places."""
    from staff.accounts import account_deactivate

    procedure = factories.procedure()
    leaving = factories.clerk("leaving", procedure)
    staying = factories.clerk("staying", procedure)
    supervisor = factories.user("boss", "supervisor")
    for clerk in (leaving, staying):
        factories.weekly(clerk, weekdays=[THURSDAY.weekday()], start=time(9, 0), end=time(12, 0))
    from reservations import slots

    slots.slots_generate(procedure=procedure, start=THURSDAY, end=THURSDAY)
    targets = list(Slot.objects.filter(procedure=procedure, day=THURSDAY, places__gt=0).order_by("start"))
    clients = 8
    barrier = threading.Barrier(clients + 1)
    lock = threading.Lock()
    outcomes: list[str] = []

    def attempt(index: int) -> None:
        slot = targets[index % len(targets)]
        try:
            barrier.wait(timeout=30)
            booking.reservation_book(
                procedure=procedure,
                slot_id=slot.pk,
                acknowledged=list(procedure.acknowledgements.values_list("pk", flat=True)),
                contact=booking.Contact("田中", "太郎", "タナカ", "タロウ", f"090-4000-{index:04d}"),
            )
            result = "booked"
        except booking.SlotFull:
            result = "full"
        except Exception as exc:  # every other outcome is a failure
            result = repr(exc)
        finally:
            connection.close()
        with lock:
            outcomes.append(result)

    def switch_off() -> None:
        try:
            barrier.wait(timeout=30)
            account_deactivate(user=leaving, by=supervisor)
            result = "switched off"
        except Exception as exc:
            result = repr(exc)
        finally:
            connection.close()
        with lock:
            outcomes.append(result)

    threads = [threading.Thread(target=attempt, args=(i,)) for i in range(clients)]
    threads.append(threading.Thread(target=switch_off))
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert set(outcomes) <= {"booked", "full", "switched off"}, outcomes
    assert outcomes.count("switched off") == 1
    booked = Reservation.objects.filter(status="booked")
    assert booked.count() == outcomes.count("booked")
    from reservations.models import UnstaffedBooking

    listed = set(UnstaffedBooking.objects.filter(resolved_at__isnull=True).values_list("reservation_id", flat=True))
    for r in booked:
        assert r.clerk == staying or r.pk in listed
    for slot in Slot.objects.filter(pk__in=[s.pk for s in targets]):
        assert slot.booked <= slot.places
        assert slot.rota_places <= 1
