"""A reservation number reads the same everywhere a person sees it: ABCD-EF34, as the look-up asks for it."""

from __future__ import annotations

import re
from datetime import date, time

import pytest
from django.core import mail

from reservations import staffing
from reservations.forms import LookupForm
from reservations.models import DutyException, Reservation, Slot
from tests import factories
from tests.reservations.helpers import book
from tests.reservations.test_rota import make_booking, one_morning_slot_hours

pytestmark = pytest.mark.django_db

THURSDAY = date(2026, 11, 26)
FRIDAY = date(2026, 11, 27)
DISPLAY = re.compile(r"^[A-Z0-9]{4}-[A-Z0-9]{4}$")


def shows_only_the_display_number(page: str, reservation: Reservation) -> bool:
    return reservation.display_number in page and reservation.number not in page


def test_the_display_number_is_the_number_in_groups_of_four() -> None:
    reservation = Reservation(number="QCYJF4WT")
    assert reservation.display_number == "QCYJ-F4WT"
    assert str(reservation) == "QCYJ-F4WT"


def test_the_lookup_example_is_written_as_numbers_are_shown() -> None:
    example = re.search(r"例：([^）]+)", str(LookupForm().fields["number"].help_text)).group(1)
    assert DISPLAY.match(example)


def test_the_rota_pages_and_their_messages_show_the_display_number(supervisor_client, bob, frozen) -> None:
    procedure = factories.procedure()
    one_morning_slot_hours(procedure, places=1)
    sato = factories.clerk("sato", family_name="佐藤")
    ito = factories.clerk("ito", family_name="伊藤")
    factories.weekly(sato, weekdays=[3, 4])
    factories.weekly(ito, weekdays=[3])
    staffing.slots_sync(procedure=procedure, start=THURSDAY, end=FRIDAY)
    moved = make_booking(Slot.objects.get(day=THURSDAY), sato)
    stranded = make_booking(Slot.objects.get(day=FRIDAY), sato)  # even: no e-mail, on the call list
    assert stranded.email == ""

    serve = supervisor_client.get(f"/staff/reservations/{moved.pk}/serve/").content.decode()
    assert shows_only_the_display_number(serve, moved)
    response = supervisor_client.post(f"/staff/reservations/{moved.pk}/clerk/", {"clerk": ito.pk}, follow=True)
    assert f"予約 {moved.display_number} の担当者を変更しました。" in response.content.decode()

    staffing.duty_exception_add(user=sato, day=FRIDAY, kind="leave", actor=bob)
    exception = DutyException.objects.get(user=sato, day=FRIDAY)
    page = supervisor_client.get(f"/staff/rota/exceptions/{exception.pk}/").content.decode()
    assert f">{stranded.display_number}</a>" in page  # the log's own detail beside it may stay raw
    unstaffed = supervisor_client.get("/staff/unstaffed/").content.decode()
    assert shows_only_the_display_number(unstaffed, stranded)
    assert unstaffed.count(stranded.display_number) == 2  # the list and the call list

    response = supervisor_client.post(
        "/staff/unstaffed/", {"pk": stranded.unstaffed.get().pk, "action": "phone"}, follow=True
    )
    assert f"予約 {stranded.display_number}: 電話でご案内したことを記録しました。" in response.content.decode()


def test_my_appointments_show_the_display_number(clerk_client, alice, frozen) -> None:
    mine = make_booking(factories.slot(THURSDAY, time(9, 0), places=1), alice)
    assert shows_only_the_display_number(clerk_client.get("/staff/mine/").content.decode(), mine)


def test_a_moved_booking_is_named_by_its_display_number(bob, frozen) -> None:
    procedure = factories.procedure()
    one_morning_slot_hours(procedure, places=1)
    sato, ito = factories.clerk("sato"), factories.clerk("ito")
    factories.weekly(sato, weekdays=[3])
    factories.weekly(ito, weekdays=[3])
    staffing.slots_sync(procedure=procedure, start=THURSDAY, end=THURSDAY)
    booking = make_booking(Slot.objects.get(day=THURSDAY), sato)
    outcome = staffing.duty_exception_add(user=sato, day=THURSDAY, kind="leave", actor=bob)
    sentences = " ".join(outcome.result.moved_sentences())
    assert f"予約 {booking.display_number}（" in sentences and booking.number not in sentences


def test_the_resident_reads_the_display_number_on_every_page_mail_and_calendar_file(
    client, frozen, django_capture_on_commit_callbacks
) -> None:
    slot = factories.slot(THURSDAY, time(9, 0), places=2)
    with django_capture_on_commit_callbacks(execute=True):
        book(client, slot)
    reservation = Reservation.objects.get()
    assert DISPLAY.match(reservation.display_number)

    done = client.get(f"/reservation/{reservation.token}/").content.decode()
    assert shows_only_the_display_number(done, reservation)
    assert f'<p class="big-number">{reservation.display_number}</p>' in done
    cancel = client.get(f"/reservation/{reservation.token}/cancel/").content.decode()
    assert shows_only_the_display_number(cancel, reservation)

    message = mail.outbox[0]
    assert reservation.display_number in message.subject
    for text in (message.subject, message.body, message.alternatives[0][0]):
        assert reservation.number not in text
    assert f"予約番号: {reservation.display_number}" in message.body

    response = client.get(f"/reservation/{reservation.token}/calendar.ics")
    assert f"reservation-{reservation.display_number}.ics" in response["Content-Disposition"]
    body = response.content.decode().replace("\r\n ", "")
    assert f"予約番号 {reservation.display_number}" in body


@pytest.mark.parametrize("typed", ["display", "raw", "lower display", "full width"])
def test_the_lookup_accepts_the_number_as_shown_or_without_the_hyphen(client, frozen, typed) -> None:
    slot = factories.slot(THURSDAY, time(9, 0), places=2)
    book(client, slot)
    reservation = Reservation.objects.get()
    number = {
        "display": reservation.display_number,
        "raw": reservation.number,
        "lower display": reservation.display_number.lower(),
        "full width": "".join(chr(ord(ch) + 0xFEE0) for ch in reservation.display_number.replace("-", "")),
    }[typed]
    visitor = client.__class__()
    response = visitor.post("/reservation/", {"number": number, "phone": "090-1111-2222"})
    assert response.status_code == 302
    assert response["Location"] == f"/reservation/{reservation.token}/"
