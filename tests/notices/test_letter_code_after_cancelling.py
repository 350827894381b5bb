"""A resident who cancels and books again keeps the letter's code, and the new booking counts for the letter."""

from datetime import date, time

import pytest

from notices import report
from notices.models import Letter, NoticeBatch
from reservations.models import Invitation, Reservation
from tests import factories
from tests.reservations.helpers import CONTACT, ack_data

pytestmark = pytest.mark.django_db


@pytest.fixture
def letter(frozen):
    resident = factories.resident(
        family_name="鈴木", given_name="一郎", family_name_kana="スズキ", given_name_kana="イチロウ"
    )
    certificate = factories.certificate(resident, issued_on=date(2026, 7, 10))
    invitation = Invitation.objects.create(
        code="ACDEFG34",
        resident=resident,
        certificate=certificate,
        procedure=factories.procedure(),
        valid_until=date(2027, 2, 9),
    )
    batch = NoticeBatch.objects.create(
        month=date(2027, 1, 1), status=NoticeBatch.Status.MAILED, mailed_on=date(2026, 11, 20), letter_count=1
    )
    return Letter.objects.create(
        batch=batch,
        certificate=certificate,
        resident=resident,
        invitation=invitation,
        postal_code=resident.postal_code,
        address=resident.address,
        name=resident.full_name,
        expires_on=certificate.expires_on,
        status=Letter.Status.MAILED,
    )


def book_from(client, slot) -> Reservation:
    client.post(f"/book/p/{slot.procedure.slug}/{slot.day.isoformat()}/", {"slot": slot.pk})
    client.post("/book/acknowledgements/", ack_data(slot.procedure))
    client.post("/book/details/", {**CONTACT, "family_name": "鈴木", "given_name": "一郎"})
    response = client.post("/book/confirm/")
    return Reservation.objects.get(token=response["Location"].rstrip("/").split("/")[-1])


def test_cancelling_and_booking_again_keeps_the_code_and_the_letters_count(client, letter) -> None:
    first_slot = factories.slot(date(2026, 11, 26), time(9, 0))
    second_slot = factories.slot(date(2026, 11, 27), time(10, 0))
    client.get("/book/ACDEFG34/")
    first = book_from(client, first_slot)
    assert first.invitation_id == letter.invitation_id
    client.post(f"/reservation/{first.token}/cancel/")
    first.refresh_from_db()
    assert first.status == Reservation.Status.CANCELLED
    assert report.funnel_for_batch(letter.batch).booked == 0
    # The cancelled booking's page offers to book again with the code; the new booking carries it.
    page = client.get(f"/reservation/{first.token}/").content.decode()
    assert "お知らせの予約コードを使って、もう一度予約できます。" in page
    assert client.post(f"/reservation/{first.token}/rebook/")["Location"] == "/book/p/jr-pass/"
    second = book_from(client, second_slot)
    assert second.invitation_id == letter.invitation_id
    assert second.resident_id == letter.resident_id
    funnel = report.funnel_for_batch(letter.batch)
    assert (funnel.booked, funnel.booked_with_code) == (1, 1)


def test_after_cancelling_a_new_booking_from_the_same_browser_keeps_the_code(client, letter) -> None:
    """No need to find the button: the browser that cancelled still carries the code into the next booking."""
    first_slot = factories.slot(date(2026, 11, 26), time(9, 0))
    second_slot = factories.slot(date(2026, 11, 27), time(10, 0))
    client.get("/book/ACDEFG34/")
    first = book_from(client, first_slot)
    client.post(f"/reservation/{first.token}/cancel/")
    client.get("/book/")
    second = book_from(client, second_slot)
    assert second.invitation_id == letter.invitation_id


def test_booking_again_is_not_offered_once_the_code_has_run_out(client, letter) -> None:
    slot = factories.slot(date(2026, 11, 26), time(9, 0))
    client.get("/book/ACDEFG34/")
    first = book_from(client, slot)
    client.post(f"/reservation/{first.token}/cancel/")
    Invitation.objects.filter(pk=letter.invitation_id).update(valid_until=date(2026, 11, 24))
    assert "もう一度予約する" not in client.get(f"/reservation/{first.token}/").content.decode()
    assert client.post(f"/reservation/{first.token}/rebook/")["Location"] == "/book/"


def test_a_booking_from_the_letter_shows_the_certificates_expiry_above_the_calendar(client, letter) -> None:
    factories.slot(date(2026, 11, 26), time(9, 0))
    client.get("/book/ACDEFG34/")
    html = client.get("/book/p/jr-pass/").content.decode()
    assert f"お持ちの証明書の有効期限は{letter.expires_on.year}年" in html
    # Another visitor without the code gets the page without it.
    other = type(client)()
    assert "有効期限" not in other.get("/book/p/jr-pass/").content.decode()
