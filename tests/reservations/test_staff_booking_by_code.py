"""The staff booking screen takes the booking code a caller reads out from their letter."""

from datetime import date, time

import pytest

from certificates.models import AccessLog
from reservations.models import Invitation, Reservation
from tests import factories

pytestmark = pytest.mark.django_db

THURSDAY = date(2026, 11, 26)


@pytest.fixture
def invitation(frozen):
    resident = factories.resident(
        family_name="鈴木",
        given_name="一郎",
        family_name_kana="スズキ",
        given_name_kana="イチロウ",
        birth_date=date(1960, 5, 13),
        phone="06-5555-0001",
        phone_digits="0655550001",
    )
    certificate = factories.certificate(resident, issued_on=date(2026, 7, 10))
    return Invitation.objects.create(
        code="ACDEFG34",
        resident=resident,
        certificate=certificate,
        procedure=factories.procedure(),
        valid_until=date(2027, 2, 9),
    )


def booking_data(slot, **overrides) -> dict:
    data = {
        "slot": slot.pk,
        "channel": "phone",
        "family_name": "鈴木",
        "given_name": "一郎",
        "family_name_kana": "スズキ",
        "given_name_kana": "イチロウ",
        "phone": "06-5555-0001",
    }
    data.update({f"ack_{a.pk}": "on" for a in slot.procedure.acknowledgements.all()})
    data.update(overrides)
    return data


def test_a_code_read_out_fills_the_resident_and_shows_the_certificate(clerk_client, alice, invitation) -> None:
    factories.slot(THURSDAY)
    response = clerk_client.get("/staff/book/?code=acde-fg34&day=2026-11-26")
    html = response.content.decode()
    form = response.context["form"]
    assert (form["family_name"].value(), form["given_name_kana"].value(), form["phone"].value()) == (
        "鈴木",
        "イチロウ",
        "06-5555-0001",
    )
    assert "お知らせの予約コード ACDE-FG34" in html
    assert "昭和35年" in html and "5月13日" in html
    assert invitation.certificate.number in html
    log = AccessLog.objects.get(action=AccessLog.Action.VIEW, resident=invitation.resident)
    assert log.user == alice
    assert "電話・窓口の予約" in log.detail and "ACDEFG34" not in log.detail


def test_a_booking_with_the_code_is_tied_to_the_letter_resident_and_certificate(
    clerk_client, alice, invitation
) -> None:
    slot = factories.slot(THURSDAY)
    url = f"/staff/book/?procedure={slot.procedure.pk}&day=2026-11-26&code=ACDEFG34"
    response = clerk_client.post(url, booking_data(slot))
    reservation = Reservation.objects.get()
    assert response["Location"] == "/staff/day/2026-11-26/"
    assert (reservation.invitation, reservation.resident, reservation.certificate, reservation.channel) == (
        invitation,
        invitation.resident,
        invitation.certificate,
        "phone",
    )
    invitation.refresh_from_db()
    assert invitation.used_at is not None
    assert AccessLog.objects.filter(action=AccessLog.Action.UPDATE, resident=invitation.resident, user=alice).exists()


def test_the_form_posts_to_the_code_it_shows(clerk_client, invitation) -> None:
    slot = factories.slot(THURSDAY)
    response = clerk_client.get("/staff/book/?code=ACDE-FG34&day=2026-11-26")
    action = response.context["form_action"]
    assert action == f"/staff/book/?procedure={slot.procedure.pk}&day=2026-11-26&code=ACDEFG34"


@pytest.mark.parametrize(
    ("code", "change", "message"),
    [
        ("ACDEFG99", {}, "予約コード ACDE-FG99 は見つかりませんでした"),
        ("ACDEFG34", {"valid_until": date(2026, 11, 24)}, "有効期限（2026年11月24日（火））が過ぎています"),
    ],
)
def test_a_bad_or_expired_code_says_why_in_japanese_and_fills_nothing(
    clerk_client, invitation, code, change, message
) -> None:
    factories.slot(THURSDAY)
    Invitation.objects.filter(pk=invitation.pk).update(**change)
    response = clerk_client.get(f"/staff/book/?code={code}&day=2026-11-26")
    html = response.content.decode()
    assert response.status_code == 200
    assert message in html
    assert response.context["form"]["family_name"].value() is None
    assert "昭和35年" not in html
    assert AccessLog.objects.filter(action=AccessLog.Action.SEARCH, detail__contains="予約コードを照会").exists()


def test_a_code_already_used_names_the_booking_that_holds_it(clerk_client, invitation) -> None:
    slot = factories.slot(THURSDAY)
    url = f"/staff/book/?procedure={slot.procedure.pk}&day=2026-11-26&code=ACDEFG34"
    clerk_client.post(url, booking_data(slot))
    first = Reservation.objects.get()
    html = clerk_client.get("/staff/book/?code=ACDEFG34").content.decode()
    assert f"すでに予約に使われています（予約番号 {first.display_number}、2026年11月26日（木） 9:00）" in html


def test_a_code_used_up_meanwhile_books_nothing_and_keeps_what_was_typed(clerk_client, invitation) -> None:
    slot = factories.slot(THURSDAY, places=2)
    url = f"/staff/book/?procedure={slot.procedure.pk}&day=2026-11-26&code=ACDEFG34"
    Invitation.objects.filter(pk=invitation.pk).update(used_at=factories.NOW)
    response = clerk_client.post(url, booking_data(slot, notes="娘さんが代理で電話"))
    assert not Reservation.objects.exists()
    assert "このまま「予約する」を押すと、コードなしで予約します" in response.content.decode()
    assert response.context["form"]["notes"].value() == "娘さんが代理で電話"
    assert response.context["chosen_slot"] == str(slot.pk)
    # The form now posts without the code: the next click books the caller without it.
    assert "code=" not in response.context["form_action"]
    response = clerk_client.post(response.context["form_action"], booking_data(slot))
    assert Reservation.objects.get().invitation is None


def test_the_chosen_time_stays_selected_when_the_form_comes_back_with_an_error(clerk_client, frozen) -> None:
    nine = factories.slot(THURSDAY, time(9, 0))
    ten = factories.slot(THURSDAY, time(10, 0))
    url = f"/staff/book/?procedure={nine.procedure.pk}&day=2026-11-26"
    response = clerk_client.post(url, booking_data(ten, family_name_kana="suzuki"))
    assert not Reservation.objects.exists()
    html = response.content.decode()
    times = html[html.index('id="b-slot"') :].split("</select>")[0]
    assert f'<option value="{ten.pk}" selected>10:00' in times
    assert f'<option value="{nine.pk}">9:00' in times


def test_a_reservation_number_read_out_as_a_code_is_recognised(clerk_client, invitation) -> None:
    slot = factories.slot(THURSDAY)
    url = f"/staff/book/?procedure={slot.procedure.pk}&day=2026-11-26"
    clerk_client.post(url, booking_data(slot, phone="06-7777-0001"))
    reservation = Reservation.objects.get()
    html = clerk_client.get("/staff/book/", {"code": reservation.number}).content.decode()
    told = f"{reservation.display_number} は予約コードではなく、すでにある予約の予約番号です"
    assert f"{told}（2026年11月26日（木） 9:00、予約" in html
