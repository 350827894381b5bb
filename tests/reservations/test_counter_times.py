"""The counter's clock: arrived, called and done, one click each on the day list, for bookings and walk-ins."""

from __future__ import annotations

from datetime import date, time, timedelta

import pytest
import time_machine

from certificates.models import Certificate
from notices import report
from reservations.booking import Contact, reservation_book
from reservations.models import Reservation, WalkIn
from tests import factories

pytestmark = pytest.mark.django_db

TODAY = factories.TODAY  # Wednesday 25 November 2026, 10:00 in Tokyo


def booking(start: time = time(10, 0)) -> Reservation:
    slot = factories.slot(TODAY, start)
    acks = list(slot.procedure.acknowledgements.values_list("pk", flat=True))
    return reservation_book(
        procedure=slot.procedure,
        slot_id=slot.pk,
        acknowledged=acks,
        contact=Contact("佐藤", "花子", "サトウ", "ハナコ", "090-2222-0001"),
        channel="phone",
        user=factories.user(f"u{Reservation.objects.count()}", "clerk"),
        now=factories.NOW - timedelta(days=3),
    )


def status(client, reservation: Reservation, new: str, expected: str):
    return client.post(
        f"/staff/reservations/{reservation.pk}/status/", {"status": new, "expected": expected}, follow=True
    )


def test_arrived_called_and_done_are_one_click_each_and_timed(clerk_client) -> None:
    with time_machine.travel(factories.NOW, tick=False) as clock:
        reservation = booking()
        status(clerk_client, reservation, "arrived", "booked")
        clock.shift(timedelta(minutes=7))
        html = clerk_client.post(f"/staff/reservations/{reservation.pk}/called/", follow=True).content.decode()
        assert "呼び出しました" in html
        clock.shift(timedelta(minutes=12))
        html = status(clerk_client, reservation, "done", "arrived").content.decode()
    reservation.refresh_from_db()
    assert reservation.arrived_at == factories.NOW
    assert reservation.called_at == factories.NOW + timedelta(minutes=7)
    assert reservation.done_at == factories.NOW + timedelta(minutes=19)
    assert "来庁 10:00・呼出 10:07・完了 10:19" in html
    times = report.counter_for_month(TODAY).booked_times
    assert (times.wait, times.service) == ([7.0], [12.0])


def test_a_second_call_click_is_told_and_keeps_the_first_time(clerk_client, frozen) -> None:
    reservation = booking()
    status(clerk_client, reservation, "arrived", "booked")
    clerk_client.post(f"/staff/reservations/{reservation.pk}/called/")
    frozen.shift(timedelta(minutes=3))
    html = clerk_client.post(f"/staff/reservations/{reservation.pk}/called/", follow=True).content.decode()
    assert "すでに10:00に呼び出しています" in html
    reservation.refresh_from_db()
    assert reservation.called_at == factories.NOW


def test_calling_before_the_arrival_is_refused(clerk_client, frozen) -> None:
    reservation = booking()
    html = clerk_client.post(f"/staff/reservations/{reservation.pk}/called/", follow=True).content.decode()
    assert "先に「来庁」を押してください" in html
    reservation.refresh_from_db()
    assert reservation.called_at is None


def test_undoing_a_step_clears_its_time(clerk_client, frozen) -> None:
    reservation = booking()
    status(clerk_client, reservation, "arrived", "booked")
    clerk_client.post(f"/staff/reservations/{reservation.pk}/called/")
    status(clerk_client, reservation, "done", "arrived")
    status(clerk_client, reservation, "arrived", "done")
    reservation.refresh_from_db()
    assert (reservation.status, reservation.done_at, reservation.called_at) == ("arrived", None, factories.NOW)
    status(clerk_client, reservation, "booked", "arrived")
    reservation.refresh_from_db()
    assert (reservation.arrived_at, reservation.called_at) == (None, None)


def test_an_issue_refused_for_an_old_photo_is_counted_then_issued_as_delayed(clerk_client, alice, frozen) -> None:
    resident = factories.resident()
    old = factories.certificate(resident, issued_on=date(2026, 6, 10))
    reservation = booking()
    Reservation.objects.filter(pk=reservation.pk).update(resident=resident, certificate=old, status="arrived")
    form = {"kind": old.kind_id, "issued_on": "2026-11-25", "photo_taken_on": "2026-04-01"}
    clerk_client.post(f"/staff/reservations/{reservation.pk}/issue/", form)
    reservation.refresh_from_db()
    assert reservation.photo_refused_at == factories.NOW
    photos = report.photos_for_month(TODAY)
    assert (photos.refusals, photos.refused, photos.delayed) == (1, 1, 0)
    clerk_client.post(f"/staff/reservations/{reservation.pk}/issue/", {**form, "photo_taken_on": "2026-11-25"})
    assert Certificate.objects.filter(renews=old).exists()
    reservation.refresh_from_db()
    assert reservation.done_at == factories.NOW
    photos = report.photos_for_month(TODAY)
    assert (photos.refusals, photos.refused, photos.delayed) == (1, 0, 1)


def test_an_issue_refused_for_another_reason_is_not_a_photo_refusal(clerk_client, frozen) -> None:
    resident = factories.resident()
    old = factories.certificate(resident, issued_on=date(2026, 6, 10))
    reservation = booking()
    Reservation.objects.filter(pk=reservation.pk).update(resident=resident, certificate=old, status="arrived")
    clerk_client.post(
        f"/staff/reservations/{reservation.pk}/issue/",
        {"kind": old.kind_id, "issued_on": "2026-11-25", "photo_taken_on": "2026-11-26"},
    )
    reservation.refresh_from_db()
    assert reservation.photo_refused_at is None


def test_a_walk_in_is_recorded_on_arrival_with_the_letter_and_photo(clerk_client, alice, frozen) -> None:
    procedure = factories.procedure()
    clerk_client.post(
        "/staff/walk-in/",
        {"procedure": procedure.pk, "served": "on", "had_letter": "yes", "photo_too_old": "on", "note": ""},
    )
    walk_in = WalkIn.objects.get()
    assert (walk_in.at, walk_in.had_letter, walk_in.photo_too_old, walk_in.served) == (
        factories.NOW,
        "yes",
        True,
        True,
    )


def test_a_walk_in_is_called_then_done_from_the_day_list(clerk_client, alice, frozen) -> None:
    walk_in = WalkIn.objects.create(procedure=factories.procedure(), day=TODAY, at=factories.NOW, recorded_by=alice)
    html = clerk_client.get("/staff/day/").content.decode()
    assert f"/staff/walk-in/{walk_in.pk}/step/" in html and "予約なしの来庁" in html
    done_first = clerk_client.post(f"/staff/walk-in/{walk_in.pk}/step/", {"step": "done"}, follow=True)
    assert "先に「呼出」を押してください" in done_first.content.decode()
    frozen.shift(timedelta(minutes=25))
    clerk_client.post(f"/staff/walk-in/{walk_in.pk}/step/", {"step": "called"})
    again = clerk_client.post(f"/staff/walk-in/{walk_in.pk}/step/", {"step": "called"}, follow=True)
    assert "すでに10:25に「呼出」を記録しています" in again.content.decode()
    frozen.shift(timedelta(minutes=15))
    clerk_client.post(f"/staff/walk-in/{walk_in.pk}/step/", {"step": "done"})
    walk_in.refresh_from_db()
    assert (walk_in.called_at, walk_in.done_at) == (
        factories.NOW + timedelta(minutes=25),
        factories.NOW + timedelta(minutes=40),
    )
    times = report.counter_for_month(TODAY).walk_in_times
    assert (times.wait, times.service) == ([25.0], [15.0])


def test_a_walk_in_turned_away_cannot_be_called(clerk_client, alice, frozen) -> None:
    walk_in = WalkIn.objects.create(
        procedure=factories.procedure(), day=TODAY, at=factories.NOW, recorded_by=alice, served=False
    )
    html = clerk_client.post(f"/staff/walk-in/{walk_in.pk}/step/", {"step": "called"}, follow=True).content.decode()
    assert "対応できなかった来庁には" in html
    walk_in.refresh_from_db()
    assert walk_in.called_at is None
