import re
from datetime import date, datetime, time, timedelta

import pytest
import time_machine
from django.core import mail

from reservations.models import Invitation, Reservation, RotaLog, Slot
from tests import factories
from tests.factories import JST
from tests.redis_server import redis_url  # noqa: F401 (a fixture)
from tests.reservations.helpers import CONTACT, ack_data, book, walk_to_confirm

pytestmark = pytest.mark.django_db

THURSDAY = date(2026, 11, 26)
WELFARE_WORDS = ["生活保護", "児童扶養手当", "福祉", "保護", "手当"]


@pytest.fixture
def slot(frozen):
    return factories.slot(THURSDAY, time(9, 0), places=2)


def test_the_start_page_skips_the_choice_when_there_is_one_procedure(client, frozen) -> None:
    factories.procedure()
    response = client.get("/book/")
    assert response["Location"] == "/book/p/jr-pass/"


def test_the_calendar_marks_open_full_and_closed_days_in_words(client, frozen) -> None:
    factories.slot(THURSDAY, places=2)
    factories.slot(date(2026, 11, 27), places=1, booked=1)
    html = client.get("/book/p/jr-pass/").content.decode()
    assert '<a href="/book/p/jr-pass/2026-11-26/">26<span class="mark">空きあり</span></a>' in html
    assert '<td class="full"><span>27<span class="mark">満員</span>' in html
    assert '<td class="closed"><span>28<span class="mark">休み</span>' in html


def test_a_resident_books_through_every_step(client, slot) -> None:
    procedure = slot.procedure
    response = client.post(f"/book/p/jr-pass/{THURSDAY}/", {"slot": slot.pk})
    assert response["Location"] == "/book/acknowledgements/"
    html = client.get("/book/acknowledgements/").content.decode()
    assert "2026年5月26日（火）以降" in html  # the photo rule for the appointment day
    assert "縦4cm×横3cm" in html
    response = client.post("/book/acknowledgements/", ack_data(procedure))
    assert response["Location"] == "/book/details/"
    response = client.post("/book/details/", CONTACT)
    assert response["Location"] == "/book/confirm/"
    html = client.get("/book/confirm/").content.decode()
    assert "田中 陽子（タナカ ヨウコ）" in html
    response = client.post("/book/confirm/")
    reservation = Reservation.objects.get()
    assert response["Location"] == f"/reservation/{reservation.token}/"
    html = client.get(response["Location"]).content.decode()
    assert "予約が完了しました" in html
    assert reservation.display_number in html
    assert f"/reservation/{reservation.token}/calendar.ics" in html
    slot.refresh_from_db()
    assert slot.booked == 1
    assert (reservation.family_name_kana, reservation.phone_digits) == ("タナカ", "09011112222")
    agreed = reservation.acknowledgements.order_by("acknowledgement__order")
    assert [a.version for a in agreed] == [1, 1]
    assert "6か月以内" in agreed[0].text and agreed[0].agreed_at is not None


def test_the_confirmation_email_names_the_counter_but_never_welfare(
    client, slot, django_capture_on_commit_callbacks
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        book(client, slot)
    reservation = Reservation.objects.get()
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == ["yoko@example.jp"]
    assert reservation.display_number in message.subject and reservation.display_number in message.body
    text = message.subject + message.body + message.alternatives[0][0]
    for word in WELFARE_WORDS:
        assert word not in text


def test_the_acknowledgements_cannot_be_skipped(client, slot) -> None:
    client.post(f"/book/p/jr-pass/{THURSDAY}/", {"slot": slot.pk})
    first = slot.procedure.acknowledgements.order_by("order").first()
    response = client.post("/book/acknowledgements/", {f"ack_{first.pk}": "on"})
    assert response.status_code == 200
    assert "確認事項2「" in response.content.decode()
    # Posting straight to the later steps goes back to the acknowledgements.
    assert client.post("/book/details/", CONTACT)["Location"] == "/book/acknowledgements/"
    assert client.post("/book/confirm/")["Location"] == "/book/acknowledgements/"
    assert not Reservation.objects.exists()


def test_the_booking_service_refuses_missing_acknowledgements(slot) -> None:
    from django.core.exceptions import ValidationError

    from reservations.booking import Contact, reservation_book

    with pytest.raises(ValidationError, match="確認事項"):
        reservation_book(
            procedure=slot.procedure,
            slot_id=slot.pk,
            contact=Contact(**{k: v for k, v in CONTACT.items()}),
            acknowledged=[],
        )
    assert not Reservation.objects.exists()
    slot.refresh_from_db()
    assert slot.booked == 0


def test_a_reservation_number_already_taken_is_drawn_again_within_the_booking(slot, monkeypatch) -> None:
    from reservations import booking

    first = book_directly(slot, "090-1111-0001")
    drawn = iter([first.number, first.number, "ACDEFG34"])
    monkeypatch.setattr(booking, "random_code", lambda length: next(drawn))
    second = book_directly(slot, "090-1111-0002")
    assert second.number == "ACDEFG34" and second.pk != first.pk
    assert Reservation.objects.filter(number=first.number).count() == 1
    second.refresh_from_db()  # the row written is the one returned, whole
    assert (second.phone_digits, second.slot_id, second.status) == ("09011110002", slot.pk, "booked")
    assert second.acknowledgements.count() == slot.procedure.acknowledgements.count()
    # The attempts whose number was taken wrote no acknowledgement or log entry, for either booking.
    assert first.acknowledgements.count() == slot.procedure.acknowledgements.count()
    assert [log.reservation_id for log in RotaLog.objects.order_by("id")] == [first.pk, second.pk]
    slot.refresh_from_db()
    assert slot.booked == 2


def test_a_booking_whose_numbers_are_all_taken_writes_nothing(slot, monkeypatch) -> None:
    from reservations import booking

    first = book_directly(slot, "090-1111-0001")
    monkeypatch.setattr(booking, "random_code", lambda length: first.number)
    with pytest.raises(RuntimeError):
        book_directly(slot, "090-1111-0002")
    assert Reservation.objects.count() == 1
    slot.refresh_from_db()
    assert slot.booked == 1


def book_directly(slot, phone):
    from reservations.booking import Contact, reservation_book

    return reservation_book(
        procedure=slot.procedure,
        slot_id=slot.pk,
        contact=Contact(**{**CONTACT, "phone": phone}),
        acknowledged=slot.procedure.acknowledgements.values_list("pk", flat=True),
    )


@pytest.mark.parametrize("day", ["2026-11-24", "2026-11-25", "2026-11-28", "2027-03-01"])
def test_past_today_closed_and_too_far_days_cannot_be_chosen(client, frozen, day) -> None:
    factories.procedure()
    response = client.get(f"/book/p/jr-pass/{day}/", follow=True)
    assert response.redirect_chain[-1][0] == "/book/p/jr-pass/"
    assert "この日は予約できません" in response.content.decode()


def test_after_the_cut_off_the_next_office_day_is_closed_for_booking(client) -> None:
    with time_machine.travel(datetime(2026, 11, 25, 17, 0, tzinfo=JST), tick=False):
        slot = factories.slot(THURSDAY)
        response = client.post(f"/book/p/jr-pass/{THURSDAY}/", {"slot": slot.pk})
        assert response["Location"] == "/book/p/jr-pass/"
    with time_machine.travel(datetime(2026, 11, 25, 16, 59, tzinfo=JST), tick=False):
        response = client.post(f"/book/p/jr-pass/{THURSDAY}/", {"slot": slot.pk})
        assert response["Location"] == "/book/acknowledgements/"
    with time_machine.travel(datetime(2026, 11, 25, 17, 1, tzinfo=JST), tick=False):
        client.post("/book/acknowledgements/", ack_data(slot.procedure))
        client.post("/book/details/", CONTACT)
        response = client.post("/book/confirm/")
        assert "インターネットで予約できません" in response.content.decode()
    assert not Reservation.objects.exists()


def test_a_tampered_slot_id_is_refused(client, slot) -> None:
    other_day = factories.slot(date(2026, 11, 27))
    response = client.post(f"/book/p/jr-pass/{THURSDAY}/", {"slot": other_day.pk}, follow=True)
    assert "選択した時間は予約できません" in response.content.decode()
    response = client.post(f"/book/p/jr-pass/{THURSDAY}/", {"slot": "1 OR 1=1"}, follow=True)
    assert response.status_code == 200
    # No time was chosen, so the later steps send the resident back to the start.
    assert client.get("/book/acknowledgements/")["Location"] == "/book/"


def test_the_one_who_loses_the_last_place_sees_it_is_full_with_input_kept(client, slot) -> None:
    walk_to_confirm(client, slot)
    Slot.objects.filter(pk=slot.pk).update(booked=2)  # somebody else took the last places meanwhile
    response = client.post("/book/confirm/", follow=True)
    assert "この時間は満員になりました" in response.content.decode()
    assert response.redirect_chain[-1][0] == f"/book/p/jr-pass/{THURSDAY}/"
    assert not Reservation.objects.exists()
    other = factories.slot(THURSDAY, time(9, 30))
    client.post(f"/book/p/jr-pass/{THURSDAY}/", {"slot": other.pk})
    html = client.get("/book/details/").content.decode()
    assert 'value="田中"' in html and 'value="090-1111-2222"' in html


def test_a_replayed_confirmation_books_once_and_shows_the_booking(client, slot) -> None:
    first = book(client, slot)
    second = client.post("/book/confirm/")
    assert second["Location"] == first["Location"]
    assert Reservation.objects.count() == 1
    slot.refresh_from_db()
    assert slot.booked == 1


def test_bad_contact_details_get_messages_and_keep_what_was_typed(client, slot) -> None:
    client.post(f"/book/p/jr-pass/{THURSDAY}/", {"slot": slot.pk})
    client.post("/book/acknowledgements/", ack_data(slot.procedure))
    response = client.post(
        "/book/details/",
        {**CONTACT, "family_name_kana": "Tanaka", "phone": "12", "email": "not-an-address", "given_name": "x" * 300},
    )
    html = response.content.decode()
    assert "セイ（フリガナ）は、カタカナで入力してください（例：ヤマダ）。" in html
    assert "電話番号は、10桁か11桁の数字で入力してください（例：090-1234-5678）。" in html
    assert "メールアドレスは、例のような形で入力してください（例：madoguchi@example.jp）。" in html
    assert 'value="Tanaka"' in html
    assert not Reservation.objects.exists()


def test_lookup_gives_one_answer_for_a_wrong_number_or_a_wrong_phone(client, slot) -> None:
    book(client, slot)
    reservation = Reservation.objects.get()
    visitor = type(client)()
    wrong_phone = visitor.post("/reservation/", {"number": reservation.number, "phone": "090-0000-0000"})
    wrong_number = visitor.post("/reservation/", {"number": "AAAAAAAA", "phone": "090-1111-2222"})
    assert wrong_phone.status_code == wrong_number.status_code == 404

    def page(response, number: str, phone: str) -> str:
        html = re.sub(r'name="csrfmiddlewaretoken" value="[^"]+"', "", response.content.decode())
        return html.replace(f'value="{number}"', "").replace(f'value="{phone}"', "")

    assert page(wrong_phone, reservation.number, "090-0000-0000") == page(wrong_number, "AAAAAAAA", "090-1111-2222")
    right = visitor.post("/reservation/", {"number": reservation.number.lower(), "phone": "09011112222"})
    assert right["Location"] == f"/reservation/{reservation.token}/"


def test_lookup_is_rate_limited_per_reservation_number(client, slot, settings) -> None:
    settings.BOOKING_LOOKUP_RATE = "3/15m"
    book(client, slot)
    reservation = Reservation.objects.get()
    for i in range(3):
        client.post(
            "/reservation/", {"number": reservation.number, "phone": f"090-0000-000{i}"}, REMOTE_ADDR=f"10.0.0.{i}"
        )
    response = client.post(
        "/reservation/", {"number": reservation.number, "phone": "090-1111-2222"}, REMOTE_ADDR="10.0.0.9"
    )
    assert response.status_code == 429


def test_cancelling_frees_the_place_until_the_cut_off(client, slot) -> None:
    book(client, slot)
    reservation = Reservation.objects.get()
    response = client.post(f"/reservation/{reservation.token}/cancel/", follow=True)
    assert "予約を取り消しました" in response.content.decode()
    reservation.refresh_from_db()
    slot.refresh_from_db()
    assert (reservation.status, slot.booked) == ("cancelled", 0)
    response = client.post(f"/reservation/{reservation.token}/cancel/", follow=True)
    assert "すでに取り消されています" in response.content.decode()
    slot.refresh_from_db()
    assert slot.booked == 0


def test_after_the_cut_off_cancelling_online_is_refused(client, slot) -> None:
    book(client, slot)
    reservation = Reservation.objects.get()
    with time_machine.travel(datetime(2026, 11, 25, 18, 0, tzinfo=JST), tick=False):
        response = client.post(f"/reservation/{reservation.token}/cancel/", follow=True)
    assert "お電話でご連絡ください" in response.content.decode()
    reservation.refresh_from_db()
    assert reservation.status == "booked"


def test_changing_moves_to_the_new_time_and_releases_the_old_place(client, slot) -> None:
    book(client, slot)
    reservation = Reservation.objects.get()
    new = factories.slot(date(2026, 11, 27), time(10, 0))
    assert client.get(f"/reservation/{reservation.token}/change/")["Location"] == "/book/p/jr-pass/"
    response = client.post("/book/p/jr-pass/2026-11-27/", {"slot": new.pk})
    assert response["Location"] == f"/reservation/{reservation.token}/change/"
    assert "この日時に変更する" in client.get(response["Location"]).content.decode()
    client.post(f"/reservation/{reservation.token}/change/", {"slot": new.pk})
    reservation.refresh_from_db()
    slot.refresh_from_db()
    new.refresh_from_db()
    assert (reservation.slot_id, slot.booked, new.booked) == (new.pk, 0, 1)


def test_changing_to_a_full_time_keeps_the_old_booking(client, slot) -> None:
    book(client, slot)
    reservation = Reservation.objects.get()
    new = factories.slot(date(2026, 11, 27), time(10, 0), places=1)
    client.get(f"/reservation/{reservation.token}/change/")
    client.post("/book/p/jr-pass/2026-11-27/", {"slot": new.pk})
    Slot.objects.filter(pk=new.pk).update(booked=1)
    response = client.post(f"/reservation/{reservation.token}/change/", {"slot": new.pk}, follow=True)
    assert "この時間は満員になりました" in response.content.decode()
    reservation.refresh_from_db()
    slot.refresh_from_db()
    assert (reservation.slot_id, slot.booked) == (slot.pk, 1)


def test_the_calendar_file_holds_the_appointment(client, slot) -> None:
    book(client, slot)
    reservation = Reservation.objects.get()
    response = client.get(f"/reservation/{reservation.token}/calendar.ics")
    body = response.content.decode()
    assert response["Content-Type"].startswith("text/calendar")
    assert "DTSTART;TZID=Asia/Tokyo:20261126T090000" in body
    assert reservation.display_number in body


def test_an_unknown_token_is_not_found(client, frozen) -> None:
    assert client.get("/reservation/not-a-token/").status_code == 404


# --- invitations from letters ------------------------------------------------------------------------


@pytest.fixture
def invitation(frozen):
    resident = factories.resident(
        family_name="鈴木",
        given_name="一郎",
        family_name_kana="スズキ",
        given_name_kana="イチロウ",
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


def test_a_letter_code_prefills_the_name_and_links_the_booking(client, invitation) -> None:
    slot = factories.slot(THURSDAY)
    assert client.get("/book/acde-fg34/")["Location"] == "/book/p/jr-pass/"
    client.post(f"/book/p/jr-pass/{THURSDAY}/", {"slot": slot.pk})
    client.post("/book/acknowledgements/", ack_data(slot.procedure))
    html = client.get("/book/details/").content.decode()
    # The name is on the letter already; the phone number the office holds is never shown to whoever has the code.
    assert 'value="鈴木"' in html and "06-5555-0001" not in html
    client.post(
        "/book/details/",
        {
            "family_name": "鈴木",
            "given_name": "一郎",
            "family_name_kana": "スズキ",
            "given_name_kana": "イチロウ",
            "phone": "06-5555-0001",
        },
    )
    client.post("/book/confirm/")
    reservation = Reservation.objects.get()
    assert (reservation.resident, reservation.certificate, reservation.invitation) == (
        invitation.resident,
        invitation.certificate,
        invitation,
    )
    invitation.refresh_from_db()
    assert invitation.used_at is not None


def test_a_used_code_gets_a_clear_message_and_the_ordinary_path(client, invitation) -> None:
    Invitation.objects.filter(pk=invitation.pk).update(used_at=factories.NOW)
    response = client.get("/book/ACDEFG34/")
    html = response.content.decode()
    assert response.status_code == 404
    assert "すでに使われています" in html and "/book/" in html


def test_an_expired_or_unknown_code_gets_a_clear_message(client, invitation) -> None:
    Invitation.objects.filter(pk=invitation.pk).update(valid_until=date(2026, 11, 24))
    assert "有効期限が過ぎています" in client.get("/book/ACDEFG34/").content.decode()
    assert "見つかりませんでした" in client.get("/book/ZZZZZZZZ/").content.decode()


def test_a_code_used_by_a_cancelled_booking_works_again(client, invitation) -> None:
    slot = factories.slot(THURSDAY)
    client.get("/book/ACDEFG34/")
    book(client, slot)
    reservation = Reservation.objects.get()
    client.post(f"/reservation/{reservation.token}/cancel/")
    invitation.refresh_from_db()
    assert invitation.used_at is None
    assert client.get("/book/ACDEFG34/")["Location"] == "/book/p/jr-pass/"


def test_a_code_typed_on_the_code_page_opens_the_booking(client, invitation) -> None:
    response = client.post("/book/code/", {"code": "ａｃｄｅ－ｆｇ３４"})
    assert response["Location"] == "/book/ACDEFG34/"


# --- reminders -----------------------------------------------------------------------------------------


def test_reminders_go_out_once_for_the_next_office_day(client, slot) -> None:
    from reservations.outbox import reminders_send

    book(client, slot)
    mail.outbox.clear()
    assert reminders_send(now=factories.NOW) == 1
    assert reminders_send(now=factories.NOW) == 0
    assert len(mail.outbox) == 1
    assert "ご予約日のお知らせ（2026年11月26日（木） 9:00）" in mail.outbox[0].subject
    assert "明日、2026年11月26日（木） 9:00からご予約があります。" in mail.outbox[0].body
    for word in WELFARE_WORDS:
        assert word not in mail.outbox[0].body


def test_a_failed_reminder_is_released_for_the_next_run(client, slot, monkeypatch) -> None:
    from reservations import mail as reservation_mail
    from reservations.outbox import reminders_send

    book(client, slot)

    def smtp_down(*args, **kwargs):
        raise ConnectionRefusedError("smtp down")

    monkeypatch.setattr(reservation_mail.EmailMultiAlternatives, "send", smtp_down)
    assert reminders_send(now=factories.NOW) == 0
    assert Reservation.objects.get().reminder_sent_at is None
    monkeypatch.undo()
    assert reminders_send(now=factories.NOW + timedelta(hours=1)) == 1


def test_the_cached_calendar_changes_as_soon_as_the_last_place_is_taken(
    client, frozen, django_capture_on_commit_callbacks
) -> None:
    from reservations.booking import Contact, reservation_book

    slot = factories.slot(THURSDAY, places=1)
    assert '26<span class="mark">空きあり' in client.get("/book/p/jr-pass/").content.decode()
    acks = list(slot.procedure.acknowledgements.values_list("pk", flat=True))
    with django_capture_on_commit_callbacks(execute=True):
        reservation_book(
            procedure=slot.procedure,
            slot_id=slot.pk,
            acknowledged=acks,
            contact=Contact("佐藤", "一", "サトウ", "ハジメ", "090-9999-0000"),
        )
    assert '26<span class="mark">満員' in type(client)().get("/book/p/jr-pass/").content.decode()
    assert '26<span class="mark">満員' in client.get("/book/p/jr-pass/").content.decode()


def test_the_language_link_switches_to_english_and_back(client, frozen) -> None:
    factories.slot(THURSDAY)
    response = client.get("/language/en/?next=/book/p/jr-pass/")
    assert response["Location"] == "/book/p/jr-pass/"
    html = client.get("/book/p/jr-pass/").content.decode()
    assert '<html lang="en">' in html
    assert client.get("/language/ja/?next=https://evil.example/")["Location"] == "/"
    assert '<html lang="ja">' in client.get("/book/p/jr-pass/").content.decode()


def test_a_resident_can_book_in_english(client, slot) -> None:
    client.get("/language/en/?next=/")
    html = client.get("/book/p/jr-pass/").content.decode()
    assert "Please choose a day" in html and ">Open</span>" in html
    client.post(f"/book/p/jr-pass/{THURSDAY}/", {"slot": slot.pk})
    html = client.get("/book/acknowledgements/").content.decode()
    assert "Tue 26 May 2026" in html
    assert "I will bring a photo of the pass user taken within 6 months" in html
    client.post("/book/acknowledgements/", ack_data(slot.procedure))
    response = client.post("/book/details/", {**CONTACT, "family_name_kana": "田中"})
    assert "Enter the reading of your family name in katakana or Latin letters" in response.content.decode()
    response = book(client, slot)
    assert "Your reservation is confirmed" in client.get(response["Location"]).content.decode()
    reservation = Reservation.objects.get()
    assert reservation.language == "en"
    # The record of consent holds the sentence the resident read and ticked: the English one.
    agreed = [a.text for a in reservation.acknowledgements.order_by("acknowledgement__order")]
    assert agreed[0].startswith("I will bring a photo of the pass user taken within 6 months")
    assert agreed == [a.render("en") for a in slot.procedure.acknowledgements.order_by("order")]
    assert not any("写真" in text for text in agreed)


def test_with_the_smtp_server_down_the_booking_is_done_and_the_email_sent_later(
    client, slot, monkeypatch, django_capture_on_commit_callbacks
) -> None:
    from reservations import mail as reservation_mail
    from reservations.outbox import confirmations_retry

    def smtp_down(*args, **kwargs):
        raise ConnectionRefusedError("smtp down")

    monkeypatch.setattr(reservation_mail.EmailMultiAlternatives, "send", smtp_down)
    with django_capture_on_commit_callbacks(execute=True):
        response = book(client, slot)
    reservation = Reservation.objects.get()
    assert response["Location"] == f"/reservation/{reservation.token}/"
    assert reservation.confirmation_sent_at is None
    assert mail.outbox == []
    monkeypatch.undo()
    assert confirmations_retry(now=factories.NOW + timedelta(minutes=5)) == 1
    assert confirmations_retry(now=factories.NOW + timedelta(minutes=10)) == 0
    assert len(mail.outbox) == 1
    reservation.refresh_from_db()
    assert reservation.confirmation_sent_at is not None


def test_the_home_page_gives_phone_fax_and_email_of_the_office(client, frozen) -> None:
    from reservations.models import Office

    factories.procedure()
    Office.objects.update(phone="06-0000-0000", fax="06-0000-0001", email="shomei@city.example.jp")
    html = client.get("/", HTTP_ACCEPT_LANGUAGE="ja").content.decode()
    assert "06-0000-0000" in html and "FAX 06-0000-0001" in html
    assert 'href="mailto:shomei@city.example.jp"' in html


def test_the_steps_between_the_times_and_the_booking_read_no_slot_row(
    client,
    slot,
    settings,
    redis_url,  # noqa: F811
    django_capture_on_commit_callbacks,
) -> None:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    # As in production, Redis counts the public rate limits.
    settings.CACHES = {"default": {"BACKEND": "config.cache.RedisCache", "LOCATION": redis_url, "KEY_PREFIX": "steps"}}
    procedure = slot.procedure
    ticks = ack_data(procedure)
    client.get("/book/p/jr-pass/")
    client.post(f"/book/p/jr-pass/{THURSDAY}/", {"slot": slot.pk})
    client.get("/book/acknowledgements/")  # the procedure is read once in this process, then kept a minute
    # The chosen slot's day and times travel in the booking cookie: only the statements to tick are read.
    with CaptureQueriesContext(connection) as queries:
        html = client.get("/book/acknowledgements/").content.decode()
        assert "2026年5月26日（火）以降" in html
        client.post("/book/acknowledgements/", ticks)
        client.get("/book/details/")
        client.post("/book/details/", CONTACT)
        html = client.get("/book/confirm/").content.decode()
    assert "11月26日（木）" in html and "9:00" in html
    assert len(queries) == 3
    assert all("reservations_acknowledgement" in q["sql"] for q in queries.captured_queries)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post("/book/confirm/")
    assert Reservation.objects.get(slot=slot).token in response["Location"]


def test_the_confirming_post_books_in_two_round_trips(client, slot, settings, redis_url) -> None:  # noqa: F811
    """In one transaction: after PostgreSQL's three advisory locks and in the same round trip, the client's recent
    bookings, the statements to tick, the place, the places its day has left and the clerks of the slot; then the
    reservation (no savepoint: a number already taken is drawn again without one) with its acknowledgements and the
    rota log, which find it by its number and token. Elsewhere than on PostgreSQL the statements of one round trip
    go one by one."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    settings.CACHES = {"default": {"BACKEND": "config.cache.RedisCache", "LOCATION": redis_url, "KEY_PREFIX": "seven"}}
    walk_to_confirm(client, slot)
    with CaptureQueriesContext(connection) as queries:
        response = client.post("/book/confirm/")
    reservation = Reservation.objects.get(slot=slot)
    assert response["Location"] == f"/reservation/{reservation.token}/"
    # The test's own transaction turns the booking's into one savepoint: BEGIN and COMMIT in production.
    sent = [q["sql"] for q in queries.captured_queries]
    assert [sql for sql in sent if sql.startswith(("SAVEPOINT", "RELEASE"))] == [sent[0], sent[-1]]
    round_trips = sent[1:-1]
    acks = slot.procedure.acknowledgements_to_agree()
    if connection.vendor == "postgresql":
        assert len(round_trips) == 2
        first, written = (trip.split("; ") for trip in round_trips)
        assert [lock.split("(")[0] for lock in first[:3]] == [
            "SELECT pg_advisory_xact_lock_shared",
            "SELECT pg_advisory_xact_lock",
            "SELECT pg_advisory_xact_lock",
        ]
        assert "'clerks:2026-11-26'" in first[1] and "'client:" in first[2]
        locked, taken = first[3:5], first[5:]
        assert not any("pg_advisory" in sql for sql in round_trips[1:])
    else:
        assert len(round_trips) == 4 + 3 + len(acks)
        locked, taken, written = round_trips[:2], round_trips[2:5], round_trips[5:]
    assert locked[-2].startswith("SELECT COUNT(*) FROM reservations_reservation WHERE client_key")
    assert locked[-1].startswith("SELECT a.id, a.text") and "FROM reservations_acknowledgement" in locked[-1]
    assert taken[0].startswith("UPDATE reservations_slot SET booked = booked + 1")
    # The places the day has left, which say whether the month calendar changes (reservations.availability).
    assert taken[1].startswith("SELECT SUM(places) - SUM(booked) FROM reservations_slot")
    assert "FROM reservations_qualification" in taken[2]
    assert [sql.split(" (")[0].replace('"', "") for sql in written] == [
        "INSERT INTO reservations_reservation",
        *["INSERT INTO reservations_reservationacknowledgement"] * len(acks),
        "INSERT INTO reservations_rotalog",
    ]
    log = RotaLog.objects.get(reservation=reservation)
    assert (log.action, log.clerk_id, log.actor_id, log.at) == ("assigned", reservation.clerk_id, None, factories.NOW)
    assert log.detail == f"予約 {reservation.number}（2026-11-26 {slot.start:%H:%M}）"
    assert reservation.clerk is not None
    agreed = reservation.acknowledgements.order_by("acknowledgement__order", "acknowledgement_id")
    expected = slot.procedure.acknowledgements_to_agree()
    assert [(a.acknowledgement_id, a.text, a.version) for a in agreed] == [
        (a.pk, a.render(), a.version) for a in expected
    ]
    assert "{" not in "".join(a.text for a in agreed)
    assert {(a.agreed_at, a.read_out_by_id) for a in agreed} == {(factories.NOW, None)}


def test_the_booking_takes_only_the_slot_its_checks_were_about(client, slot) -> None:
    """The booking cookie cannot be altered (it is encrypted and authenticated); even so, the place is taken by an
    UPDATE that matches the procedure, day and times the booking was checked against."""
    from reservations import flow

    past = factories.slot(date(2026, 11, 20), time(9, 0), places=2)
    walk_to_confirm(client, slot)
    state = flow.decode(client.cookies["booking"].value)
    state["booking"]["slot"] = past.pk  # another row, with the checked slot's day and times
    client.cookies["booking"] = flow.encode(state)
    response = client.post("/book/confirm/")
    assert response.status_code == 302 and not response["Location"].startswith("/reservation/")
    assert not Reservation.objects.exists()
    past.refresh_from_db()
    slot.refresh_from_db()
    assert past.booked == 0 and slot.booked == 0


def test_a_booking_cookie_without_the_slots_times_still_reads_the_slot(client, slot) -> None:
    from reservations import flow

    walk_to_confirm(client, slot)
    # As a cookie written before the times travelled with it.
    state = flow.decode(client.cookies["booking"].value)
    del state["booking"]["slot_at"]
    client.cookies["booking"] = flow.encode(state)
    html = client.get("/book/confirm/").content.decode()
    assert "9:00" in html
    assert client.post("/book/confirm/")["Location"].startswith("/reservation/")


def test_a_statement_edited_here_shows_on_the_next_page_at_once(client, slot) -> None:
    procedure = slot.procedure
    client.post(f"/book/p/jr-pass/{THURSDAY}/", {"slot": slot.pk})
    client.get("/book/acknowledgements/")
    statement = procedure.acknowledgements.filter(active=True).first()
    statement.text = "新しい確認事項の文言です。"
    statement.save()
    assert "新しい確認事項の文言です。" in client.get("/book/acknowledgements/").content.decode()
