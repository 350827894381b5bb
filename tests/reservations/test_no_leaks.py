"""Nothing on the public side tells a stranger about someone else: no stored contact details behind a letter's code,
no answer to "does this phone number have a booking"; bursts from one client are capped and shown to the
supervisor, who cancels with a reason."""

from __future__ import annotations

import threading
from datetime import date, time, timedelta

import pytest
from django.core.exceptions import ValidationError
from django.db import connection

from certificates.models import AccessLog
from reservations import booking, review
from reservations.models import Invitation, Reservation
from tests import factories
from tests.conftest import verify_second_factor
from tests.reservations.helpers import CONTACT, book

pytestmark = pytest.mark.django_db

THURSDAY = date(2026, 11, 26)
FRIDAY = date(2026, 11, 27)


def test_a_letter_code_never_shows_the_phone_or_e_mail_the_office_holds(client, frozen) -> None:
    resident = factories.resident(phone="06-5555-0001", phone_digits="0655550001", email="suzuki@example.jp")
    certificate = factories.certificate(resident, issued_on=date(2026, 7, 10))
    Invitation.objects.create(
        code="ACDEFG34",
        resident=resident,
        certificate=certificate,
        procedure=factories.procedure(),
        valid_until=date(2027, 2, 9),
    )
    slot = factories.slot(THURSDAY)
    client.get("/book/ACDEFG34/")
    client.post(f"/book/p/jr-pass/{THURSDAY}/", {"slot": slot.pk})
    client.post("/book/acknowledgements/", {f"ack_{a.pk}": "on" for a in slot.procedure.acknowledgements_to_agree()})
    html = client.get("/book/details/").content.decode()
    assert resident.family_name in html
    for secret in ("06-5555-0001", "0655550001", "suzuki@example.jp"):
        assert secret not in html
    assert "suzuki@example.jp" not in str(dict(client.session))


def _confirm_outcome(response) -> tuple[int, str]:
    return response.status_code, response["Location"].split("/")[1] if response.status_code == 302 else ""


def test_booking_with_a_phone_that_already_has_a_booking_looks_exactly_like_any_booking(client, frozen) -> None:
    first = book(client, factories.slot(THURSDAY))
    stranger = type(client)()
    with_known_phone = book(stranger, factories.slot(FRIDAY), {**CONTACT, "phone": "09011112222"})
    newcomer = type(client)()
    with_new_phone = book(newcomer, factories.slot(FRIDAY, time(10, 0)), {**CONTACT, "phone": "090-3333-4444"})
    assert _confirm_outcome(with_known_phone) == _confirm_outcome(with_new_phone) == (302, "reservation")
    done_known = stranger.get(with_known_phone["Location"]).content.decode()
    done_new = newcomer.get(with_new_phone["Location"]).content.decode()
    assert "すでに予約" not in done_known and "予約が完了しました" in done_known and "予約が完了しました" in done_new
    # The resident's own booking is untouched; the supervisor sees the two bookings of one number.
    assert Reservation.objects.get(token=first["Location"].split("/")[2]).status == "booked"
    groups = review.review_groups()
    assert [len(g.reservations) for g in groups if g.reason.startswith("同じ電話番号")] == [2]


def test_every_resident_is_shown_the_way_to_an_existing_booking(client, frozen) -> None:
    slot = factories.slot(THURSDAY)
    client.post(f"/book/p/jr-pass/{THURSDAY}/", {"slot": slot.pk})
    client.post("/book/acknowledgements/", {f"ack_{a.pk}": "on" for a in slot.procedure.acknowledgements_to_agree()})
    html = client.get("/book/details/").content.decode()
    assert "すでに予約をお持ちの方は" in html and 'href="/reservation/"' in html


def test_staff_booking_on_the_phone_is_told_about_an_existing_booking(alice, frozen) -> None:
    slot = factories.slot(THURSDAY)
    acks = [a.pk for a in slot.procedure.acknowledgements_to_agree()]
    contact = booking.Contact("田中", "陽子", "タナカ", "ヨウコ", "090-1111-2222")
    booking.reservation_book(procedure=slot.procedure, slot_id=slot.pk, acknowledged=acks, contact=contact)
    with pytest.raises(ValidationError, match="同じ方（定期券を使う方）の予約がすでにあります"):
        booking.reservation_book(
            procedure=slot.procedure, slot_id=slot.pk, acknowledged=acks, contact=contact, channel="phone", user=alice
        )


def test_a_burst_of_bookings_from_one_client_is_capped(client, frozen, settings) -> None:
    settings.BOOKING_BURST_RATE = "2/1h"
    for i in range(2):
        visitor = type(client)(REMOTE_ADDR="203.0.113.7")
        response = book(visitor, factories.slot(THURSDAY, time(9 + i, 0)), {**CONTACT, "phone": f"090-5555-000{i}"})
        assert response.status_code == 302
    Reservation.objects.filter(pk=Reservation.objects.first().pk).update(status="cancelled")  # cancelled ones count
    visitor = type(client)(REMOTE_ADDR="203.0.113.7")
    late = factories.slot(THURSDAY, time(11, 0))
    response = book(visitor, late, {**CONTACT, "phone": "090-5555-0009"})
    assert response.status_code == 200
    assert "この端末からの予約をしばらく受け付けられません" in response.content.decode()
    late.refresh_from_db()
    assert late.booked == 0  # the place the refused booking took with its locks was given back
    other = type(client)(REMOTE_ADDR="198.51.100.4")
    assert book(other, late, {**CONTACT, "phone": "090-5555-0010"}).status_code == 302
    assert Reservation.objects.count() == 3


def test_the_burst_cap_counts_only_the_bookings_of_its_period(client, frozen, settings) -> None:
    settings.BOOKING_BURST_RATE = "1/1h"
    for n, minutes_ago in enumerate((61, 59)):
        visitor = type(client)(REMOTE_ADDR="203.0.113.9")
        response = book(visitor, factories.slot(THURSDAY, time(9 + n, 0)), {**CONTACT, "phone": f"090-5555-010{n}"})
        assert response.status_code == 302
        Reservation.objects.filter(phone_digits=f"090555501{n:02d}").update(
            created_at=factories.NOW - timedelta(minutes=minutes_ago)
        )
    visitor = type(client)(REMOTE_ADDR="203.0.113.9")
    response = book(visitor, factories.slot(THURSDAY, time(11, 0)), {**CONTACT, "phone": "090-5555-0109"})
    assert response.status_code == 200
    assert "この端末からの予約をしばらく受け付けられません" in response.content.decode()


@pytest.mark.django_db(transaction=True)
def test_the_burst_cap_holds_when_one_client_books_concurrently(settings) -> None:
    settings.BOOKING_BURST_RATE = "3/1h"
    factories.ensure_defaults()
    slot = factories.slot(THURSDAY, time(9, 0), places=20)
    acks = [a.pk for a in slot.procedure.acknowledgements_to_agree()]
    key = review.client_key("203.0.113.8")
    barrier = threading.Barrier(8)
    outcomes: list[str] = []
    lock = threading.Lock()

    def attempt(index: int) -> None:
        try:
            barrier.wait(timeout=30)
            booking.reservation_book(
                procedure=slot.procedure,
                slot_id=slot.pk,
                acknowledged=acks,
                contact=booking.Contact("田中", "太郎", "タナカ", "タロウ", f"090-7000-{index:04d}"),
                client_key=key,
                now=factories.NOW,
            )
            result = "booked"
        except ValidationError as exc:
            result = exc.code or "other"
        except Exception as exc:
            result = repr(exc)
        finally:
            connection.close()
        with lock:
            outcomes.append(result)

    threads = [threading.Thread(target=attempt, args=(i,)) for i in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert sorted(outcomes) == ["booked"] * 3 + ["burst"] * 5
    assert Reservation.objects.filter(client_key=key).count() == 3


def test_the_supervisor_sees_a_burst_and_cancels_chosen_bookings_with_a_reason(
    client, alice, bob, frozen, settings
) -> None:
    settings.BOOKING_BURST_REVIEW = 2
    slots = [factories.slot(THURSDAY, time(9 + i, 0)) for i in range(3)]
    for i, slot in enumerate(slots):
        visitor = type(client)(REMOTE_ADDR="203.0.113.9")
        book(visitor, slot, {**CONTACT, "phone": f"090-6666-000{i}"})
    client.force_login(alice)
    assert client.get("/staff/reservations/review/").status_code == 403
    client.force_login(bob)
    verify_second_factor(client, bob)
    html = client.get("/staff/reservations/review/").content.decode()
    assert "同じ端末からの予約 3件" in html
    assert "2026年11月26日（木） 9:00</a>" in html and "<td>2026年11月25日（水） 10:00</td>" in html
    chosen = list(Reservation.objects.order_by("pk")[:2])
    response = client.post("/staff/reservations/review/", {"reservation": [r.pk for r in chosen], "reason": ""})
    assert "取り消す理由" in response.content.decode()
    assert not Reservation.objects.filter(status="cancelled").exists()
    response = client.post(
        "/staff/reservations/review/",
        {"reservation": [r.pk for r in chosen], "reason": "同じ端末から短時間に多数。電話で確認できず"},
        follow=True,
    )
    assert "2件の予約を取り消しました" in response.content.decode()
    for reservation in chosen:
        reservation.refresh_from_db()
        assert reservation.status == "cancelled" and reservation.status_changed_by == bob
        assert "電話で確認できず" in reservation.cancel_reason
    assert AccessLog.objects.filter(user=bob, detail__contains="電話で確認できず").count() == 2
    slots[0].refresh_from_db()
    assert slots[0].booked == 0
    assert Reservation.objects.filter(status="booked").count() == 1
