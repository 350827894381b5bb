"""Issuing from an appointment is one service in one transaction; arrival and issue only on the appointment's day."""

from __future__ import annotations

import threading
from datetime import date, time

import pytest
from django.core.exceptions import ValidationError
from django.db import connection

from certificates.models import AccessLog, Certificate
from reservations import booking
from reservations.models import Reservation
from tests import factories

TODAY = date(2026, 11, 25)
THURSDAY = date(2026, 11, 26)


def _appointment(day: date, user, phone: str = "090-2222-0001") -> Reservation:
    slot = factories.slot(day, time(16, 0))
    return booking.reservation_book(
        procedure=slot.procedure,
        slot_id=slot.pk,
        acknowledged=list(slot.procedure.acknowledgements.values_list("pk", flat=True)),
        contact=booking.Contact("佐藤", "花子", "サトウ", "ハナコ", phone),
        channel="phone",
        user=user,
    )


def _issue(reservation: Reservation, resident, user) -> Certificate:
    return booking.reservation_issue_certificate(
        reservation=reservation,
        resident=resident,
        user=user,
        kind=factories.letter_kind(),
        issued_on=TODAY,
        photo_taken_on=date(2026, 11, 1),
    )


@pytest.mark.django_db
def test_issuing_renews_links_finishes_the_appointment_and_logs_it_together(alice, frozen) -> None:
    resident = factories.resident()
    old = factories.certificate(resident, issued_on=date(2026, 6, 10))
    reservation = _appointment(TODAY, alice)
    Reservation.objects.filter(pk=reservation.pk).update(certificate=old)
    certificate = _issue(reservation, resident, alice)
    reservation.refresh_from_db()
    assert (reservation.status, reservation.issued_certificate, reservation.resident) == ("done", certificate, resident)
    assert certificate.renews == old
    assert AccessLog.objects.filter(
        user=alice, resident=resident, detail=f"予約 {reservation.number} から証明書 {certificate.number} を交付"
    ).exists()
    with pytest.raises(ValidationError, match="すでに証明書を交付"):
        _issue(reservation, resident, alice)
    assert Certificate.objects.filter(resident=resident).count() == 2


@pytest.mark.django_db
def test_a_failure_after_the_certificate_leaves_nothing_behind(alice, frozen) -> None:
    resident = factories.resident()
    other = factories.resident(case_number="OTHER-1")
    reservation = _appointment(TODAY, alice)
    Reservation.objects.filter(pk=reservation.pk).update(resident=other)
    with pytest.raises(ValidationError, match="別の方"):
        _issue(reservation, resident, alice)
    assert not Certificate.objects.exists()
    assert Reservation.objects.get(pk=reservation.pk).status == "booked"


@pytest.mark.django_db
def test_issue_and_arrival_are_refused_on_another_day_s_appointment(clerk_client, alice, frozen) -> None:
    resident = factories.resident()
    reservation = _appointment(THURSDAY, alice)
    with pytest.raises(ValidationError, match="2026年11月26日の予約です"):
        _issue(reservation, resident, alice)
    response = clerk_client.post(
        f"/staff/reservations/{reservation.pk}/issue/?resident={resident.pk}",
        {"kind": factories.letter_kind().pk, "issued_on": "2026-11-25", "photo_taken_on": "2026-11-01"},
    )
    assert "2026年11月26日の予約です" in response.content.decode()
    response = clerk_client.post(
        f"/staff/reservations/{reservation.pk}/status/", {"status": "arrived", "expected": "booked"}, follow=True
    )
    assert "2026年11月26日の予約です" in response.content.decode()
    reservation.refresh_from_db()
    assert reservation.status == "booked" and not Certificate.objects.exists()


@pytest.mark.django_db(transaction=True)
def test_two_clerks_issuing_from_one_appointment_at_once_issue_one_certificate(alice, frozen) -> None:
    factories.ensure_defaults()
    resident = factories.resident()
    reservation = _appointment(TODAY, alice)
    barrier = threading.Barrier(4)
    outcomes: list[str] = []
    lock = threading.Lock()

    def attempt() -> None:
        try:
            barrier.wait(timeout=30)
            _issue(reservation, resident, alice)
            result = "issued"
        except ValidationError as exc:
            result = "refused" if "すでに" in " ".join(exc.messages) else f"error {exc.messages}"
        except Exception as exc:
            result = f"error {exc!r}"
        finally:
            connection.close()
        with lock:
            outcomes.append(result)

    threads = [threading.Thread(target=attempt) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert sorted(outcomes) == ["issued", "refused", "refused", "refused"]
    assert Certificate.objects.filter(resident=resident).count() == 1


@pytest.mark.django_db
def test_on_another_day_the_refusal_sits_on_the_issue_date_and_the_photo_is_checked_too(clerk_client, alice, frozen):
    resident = factories.resident()
    reservation = _appointment(THURSDAY, alice)
    response = clerk_client.post(
        f"/staff/reservations/{reservation.pk}/issue/?resident={resident.pk}",
        {"kind": factories.letter_kind().pk, "issued_on": "2026-11-26", "photo_taken_on": "2026-05-10"},
    )
    form = response.context["form"]
    assert form.errors["issued_on"] == [
        f"予約 {reservation.display_number} は2026年11月26日の予約です。"
        "予約からの交付は、その日にだけできます（今日は2026年11月25日です）。"
    ]
    assert form.errors["photo_taken_on"][0].startswith("写真が古すぎます。")
    html = response.content.decode()
    summary = html.split('class="error-summary"')[1].split("</div>")[0]
    assert summary.count('href="#id_issued_on"') == 1 and summary.count('href="#id_photo_taken_on"') == 1
    reservation.refresh_from_db()
    assert reservation.status == "booked" and reservation.photo_refused_at is None
    assert not Certificate.objects.exists()


@pytest.mark.django_db
def test_on_the_appointment_day_the_issue_date_must_be_that_day(clerk_client, alice, frozen) -> None:
    resident = factories.resident()
    reservation = _appointment(TODAY, alice)
    response = clerk_client.post(
        f"/staff/reservations/{reservation.pk}/issue/?resident={resident.pk}",
        {"kind": factories.letter_kind().pk, "issued_on": "2026-11-20", "photo_taken_on": "2026-11-01"},
    )
    assert response.context["form"].errors == {
        "issued_on": ["予約からの交付では、交付日は予約の日（今日、2026年11月25日）です。"]
    }
    assert not Certificate.objects.exists()
    response = clerk_client.post(
        f"/staff/reservations/{reservation.pk}/issue/?resident={resident.pk}",
        {"kind": factories.letter_kind().pk, "issued_on": "2026-11-25", "photo_taken_on": "2026-11-01"},
    )
    assert response.status_code == 302
    assert Certificate.objects.get(resident=resident).issued_on == TODAY
