"""The resident's pages beyond the booking steps themselves: messages, the calendar's first month, the done page,
needs at the counter, English with a Latin name, the error pages."""

from __future__ import annotations

import re
from datetime import date, datetime, time

import pytest
from django.urls import path

from reservations.models import Reservation, Slot
from tests import factories
from tests.reservations.helpers import CONTACT, ack_data, book

pytestmark = pytest.mark.django_db

THURSDAY = date(2026, 11, 26)


@pytest.fixture
def slot(frozen):
    return factories.slot(THURSDAY, time(9, 0), places=2)


def to_details(client, slot) -> None:
    client.post(f"/book/p/jr-pass/{THURSDAY}/", {"slot": slot.pk})
    client.post("/book/acknowledgements/", ack_data(slot.procedure))


def test_empty_details_get_a_summary_that_names_and_links_each_field(client, slot) -> None:
    to_details(client, slot)
    html = client.post("/book/details/", {**CONTACT, "family_name": "", "phone": "", "email": "yoko@"}).content.decode()
    summary = html[html.index('class="error-summary"') : html.index("</div>", html.index('class="error-summary"'))]
    assert '<a href="#id_family_name">姓を入力してください。</a>' in summary
    assert '<a href="#id_phone">電話番号を入力してください。</a>' in summary
    assert "例：madoguchi@example.jp" in summary
    assert "このフィールドは必須です" not in html
    # The field keeps what was typed, and its own message sits under it.
    assert 'value="たなか"' in html
    assert re.search(r'id="id_phone"[^>]*aria-invalid="true"', html) or 'aria-invalid="true"' in html
    assert not Reservation.objects.exists()


def test_an_unticked_statement_is_named_shortly_in_the_summary(client, slot) -> None:
    client.post(f"/book/p/jr-pass/{THURSDAY}/", {"slot": slot.pk})
    # A browser always sends the CSRF token, so the form is never posted empty.
    html = client.post("/book/acknowledgements/", {"csrfmiddlewaretoken": "x"}).content.decode()
    summary = html[html.index('class="error-summary"') : html.index("</div>", html.index('class="error-summary"'))]
    items = re.findall(r"<li><a [^>]*>([^<]*)</a></li>", summary)
    assert len(items) == 2
    assert items[0].startswith("確認事項1「") and items[0].endswith("…」を読んで、チェックを入れてください。")
    assert len(items[0]) < 45  # one line on a phone, not the whole statement


def test_a_staff_form_gets_the_same_summary(clerk_client, frozen) -> None:
    resident = factories.resident()
    html = clerk_client.post(f"/staff/residents/{resident.pk}/certificates/new/", {"issued_on": "12/3"})
    html = html.content.decode()
    assert 'class="error-summary"' in html
    assert "交付日は、年-月-日の形で入力してください（例：2026-12-03）。" in html


def caption(html: str) -> str:
    return re.search(r"<caption><h2>([^<]*)</h2></caption>", html).group(1)


def test_the_calendar_opens_on_the_first_month_with_a_free_place(client, frozen) -> None:
    factories.slot(date(2026, 11, 27), places=1, booked=1)  # November's only day is full
    factories.slot(date(2026, 12, 3), places=2)
    html = client.get("/book/p/jr-pass/").content.decode()
    assert caption(html) == "2026年12月"
    assert '<a href="/book/p/jr-pass/2026-12-03/">' in html
    # The months stay reachable: back to November, and November when asked for.
    assert 'href="?month=2026-11"' in html
    assert caption(client.get("/book/p/jr-pass/?month=2026-11").content.decode()) == "2026年11月"


def test_the_calendar_opens_on_this_month_when_it_has_a_free_place(client, frozen) -> None:
    factories.slot(date(2026, 11, 27), places=2)
    factories.slot(date(2026, 12, 3), places=2)
    assert caption(client.get("/book/p/jr-pass/").content.decode()) == "2026年11月"


def test_a_month_not_open_yet_says_from_when_it_can_be_booked(client, frozen) -> None:
    factories.slot(date(2026, 12, 3), places=2)
    html = client.get("/book/p/jr-pass/?month=2027-03").content.decode()
    assert "2027年3月の日は、2026年12月31日（木）から予約できます。" in html
    assert caption(html) == "2026年12月"


def test_the_english_calendar_names_the_month(client, frozen) -> None:
    factories.slot(date(2026, 12, 3), places=2)
    client.get("/language/en/?next=/")
    html = client.get("/book/p/jr-pass/").content.decode()
    assert caption(html) == "December 2026"
    html = client.get("/book/p/jr-pass/?month=2027-03").content.decode()
    assert "Days in March 2027 can be booked from Thu 31 December 2026." in html


def test_a_missing_page_is_friendly_in_both_languages(client, frozen) -> None:
    factories.ensure_defaults()
    response = client.get("/no-such-page/")
    assert response.status_code == 404
    html = response.content.decode()
    assert "ページが見つかりません" in html and 'href="/book/code/"' in html and 'href="/reservation/"' in html
    assert 'rel="icon"' in html
    client.get("/language/en/?next=/")
    html = client.get("/book/p/no-such-procedure/").content.decode()
    assert "Page not found" in html and "Book with the code from your letter" in html


def test_the_error_page_renders_without_a_request_or_the_database() -> None:
    from django.template import Context, loader

    # Django's server_error renders 500.html with a bare Context: no request, no context processors.
    html = loader.get_template("500.html").template.render(Context({}))
    assert "ただいま表示できません" in html and "Something went wrong" in html
    assert 'href="/reservation/"' in html


def broken(request):
    raise RuntimeError("the database is down")


urlpatterns = [path("boom/", broken)]


def test_a_server_error_shows_the_error_page(client, settings) -> None:
    settings.ROOT_URLCONF = __name__
    client.raise_request_exception = False
    response = client.get("/boom/")
    assert response.status_code == 500
    assert "ただいま表示できません" in response.content.decode()


def test_the_favicon_is_linked_and_served_at_the_root(client, frozen) -> None:
    factories.ensure_defaults()
    response = client.get("/favicon.ico")
    assert response.status_code == 302
    assert response["Location"].endswith(".ico")
    html = client.get("/").content.decode()
    assert 'rel="icon" href="/static/favicon' in html


# --- the done page: what to do on the day -------------------------------------------------------------------


def done_page(client, slot, contact=None) -> tuple[Reservation, str]:
    response = book(client, slot, contact)
    reservation = Reservation.objects.get()
    return reservation, client.get(response["Location"]).content.decode()


def test_the_done_page_says_what_to_do_on_the_day(client, slot) -> None:
    procedure = slot.procedure
    procedure.what_to_bring = "今お持ちの証明書\n本人確認書類"
    procedure.save()
    office = procedure.office
    office.fax, office.email = "06-0000-0001", "shomei@example.jp"
    office.save()
    reservation, html = done_page(client, slot)
    on_the_day = html[html.index("当日のご案内") : html.index("カレンダーに追加")]
    assert "2026年11月26日（木） 9:00</strong>に" in on_the_day
    assert f"受付で予約番号（{reservation.display_number}）をお伝えください。" in on_the_day
    assert "定期券を使う方ご本人がお越しください" in on_the_day
    assert "写真は<strong>2026年5月26日（火）以降</strong>に撮影したもの（縦4cm×横3cm）が必要です。" in on_the_day
    bring = re.findall(r"<li>([^<]*)</li>", on_the_day[on_the_day.index('class="bring"') :])
    assert bring == ["写真（2026年5月26日（火）以降に撮影したもの、縦4cm×横3cm）", "今お持ちの証明書", "本人確認書類"]
    # How to change or cancel, and how to reach the office when it is too late for that.
    assert "2026年11月25日（水） 17:00まで、このページから日時の変更や取消ができます。" in html
    assert "遅れるとき、来られなくなったときは、窓口にご連絡ください。" in html
    assert "06-0000-0001" in html and "shomei@example.jp" in html
    assert "状態</dt><dd>予約済み</dd>" in html


# --- needs at the counter ------------------------------------------------------------------------------------


def test_needs_at_the_counter_are_kept_and_shown_to_the_clerk_only(client, clerk_client, slot) -> None:
    contact = {**CONTACT, "needs": ["wheelchair", "writing"], "needs_other": "ゆっくり話してほしい"}
    reservation, html = done_page(client, slot, contact)
    assert (reservation.needs, reservation.needs_other) == (["wheelchair", "writing"], "ゆっくり話してほしい")
    day = clerk_client.get(f"/staff/day/{THURSDAY}/").content.decode()
    assert "配慮：車いす、筆談、その他：ゆっくり話してほしい" in day
    serve = clerk_client.get(f"/staff/reservations/{reservation.pk}/serve/").content.decode()
    assert "来庁時の配慮</dt><dd><strong>車いす、筆談、その他：ゆっくり話してほしい</strong>" in serve
    # Not on the booking's own page, which the e-mails link to and a household may share.
    assert "車いす" not in html


def test_an_unknown_need_is_refused_with_a_message(client, slot) -> None:
    to_details(client, slot)
    html = client.post("/book/details/", {**CONTACT, "needs": ["jetpack"]}).content.decode()
    assert "来庁時に配慮が必要なことは、表示されている選択肢から選んでください。" in html
    assert not Reservation.objects.exists()


def test_staff_record_needs_when_booking_by_phone(clerk_client, slot) -> None:
    data = {
        "slot": slot.pk,
        "channel": "phone",
        **{k: v for k, v in CONTACT.items() if k != "email"},
        "needs": ["sign"],
        **{f"ack_{a.pk}": "on" for a in slot.procedure.acknowledgements.all()},
    }
    clerk_client.post(f"/staff/book/?procedure={slot.procedure.pk}&day={THURSDAY}", data)
    assert Reservation.objects.get().needs == ["sign"]


def test_retention_removes_the_needs_with_the_other_personal_data(client, slot) -> None:
    from datetime import timedelta

    from reservations.retention import reservations_anonymise

    reservation, _html = done_page(client, slot, {**CONTACT, "needs": ["companion"], "needs_other": "介助者"})
    reservations_anonymise(now=factories.NOW + timedelta(days=3 * 365))
    reservation.refresh_from_db()
    assert (reservation.needs, reservation.needs_other) == ([], "")


# --- English ---------------------------------------------------------------------------------------------------


def test_an_english_resident_gives_a_latin_name_and_it_is_kept_as_the_reading(client, slot) -> None:
    client.get("/language/en/?next=/")
    to_details(client, slot)
    html = client.get("/book/details/").content.decode()
    assert "Family name in katakana or Latin letters" in html
    latin = {"family_name": "Smith", "given_name": "Ｊｏｈｎ", "family_name_kana": "", "given_name_kana": ""}
    contact = {**CONTACT, **latin}
    reservation, html = done_page(client, slot, contact)
    assert (reservation.family_name_kana, reservation.given_name_kana) == ("SMITH", "JOHN")
    assert "Your reservation is confirmed" in html


def test_english_pages_show_the_office_the_checklist_and_the_photo_size_in_english(client, slot) -> None:
    procedure = slot.procedure
    procedure.what_to_bring, procedure.what_to_bring_en = "今お持ちの証明書", "Your current certificate"
    procedure.save()
    office = procedure.office
    office.name_en, office.address_en = "Minato City Hall", "1-1-1 Minatomachi"
    office.hours_text_en = "Weekdays 8:45–17:15"
    office.save()
    client.get("/language/en/?next=/")
    home = client.get("/").content.decode()
    assert "Minato City Hall" in home and "Weekdays 8:45–17:15" in home and "Your current certificate" in home
    reservation, html = done_page(client, slot)
    assert "A photo taken on or after Tue 26 May 2026 (4 cm high × 3 cm wide)" in html
    assert "Your current certificate" in html and "今お持ちの証明書" not in html
    assert "Minato City Hall" in html and "1-1-1 Minatomachi" in html
    assert "Status</dt><dd>Booked</dd>" in html
    assert "Wed 25 November 2026 17:00" in html
    main = re.sub(r"<[^>]+>", "", html.split("<main", 1)[1].split("</main>")[0])
    assert not re.search(r"[\u3040-\u30ff\u4e00-\u9fff]", main), "Japanese left on the English done page"


# --- e-mails ---------------------------------------------------------------------------------------------------

WELFARE_WORDS = ["生活保護", "児童扶養手当", "福祉", "保護", "手当"]


def mail_text(message) -> str:
    return message.subject + message.body + message.alternatives[0][0]


def test_the_confirmation_names_the_addressee_repeats_the_photo_date_and_says_it_cannot_take_replies(
    client, slot, django_capture_on_commit_callbacks
) -> None:
    from django.core import mail

    procedure = slot.procedure
    procedure.what_to_bring = "今お持ちの証明書\n児童扶養手当証書（該当する方）"
    procedure.save()
    office = procedure.office
    office.phone, office.fax, office.email = "06-0000-0000", "06-0000-0001", "shomei@example.jp"
    office.save()
    with django_capture_on_commit_callbacks(execute=True):
        book(client, slot)
    body = mail.outbox[0].body
    assert body.startswith("田中 陽子 様\n")
    assert "2026年11月26日（木） 9:00〜9:30" in body
    assert "・写真（2026年5月26日（火）以降に撮影したもの、縦4cm×横3cm）\n・今お持ちの証明書\n" in body
    # A checklist line naming the allowance stays on the booking page, never in an e-mail.
    assert "ほかにお持ちいただくものは、下の予約の確認ページでご確認ください。" in body
    assert "このメールは送信専用のアドレスから送っています。" in body
    assert "電話 06-0000-0000" in body and "FAX 06-0000-0001" in body and "メール shomei@example.jp" in body
    html = mail.outbox[0].alternatives[0][0]
    assert "田中 陽子 様" in html and "送信専用" in html
    for word in WELFARE_WORDS:
        assert word not in mail_text(mail.outbox[0])


def test_a_reminder_for_monday_sent_on_friday_names_the_day_not_tomorrow(client, mailoutbox) -> None:
    import time_machine

    from reservations.outbox import reminders_send
    from tests.factories import JST

    friday = date(2026, 11, 27)
    monday = date(2026, 11, 30)
    with time_machine.travel(datetime(2026, 11, 26, 10, 0, tzinfo=JST), tick=False):
        slot = factories.slot(monday, time(9, 0), places=2)
        book(client, slot)
    mailoutbox.clear()
    with time_machine.travel(datetime(2026, 11, 27, 10, 0, tzinfo=JST), tick=False):
        assert friday.weekday() == 4
        assert reminders_send() == 1
    message = mailoutbox[0]
    assert message.subject == "【窓口予約】ご予約日のお知らせ（2026年11月30日（月） 9:00）"
    assert "明日" not in mail_text(message)
    assert "2026年11月30日（月） 9:00からご予約があります。" in message.body
    assert "写真は2026年5月30日（土）以降に撮影したものが必要です。" in message.body


def test_an_english_reminder_is_english_throughout(client, mailoutbox, frozen) -> None:
    from reservations.outbox import reminders_send

    slot = factories.slot(THURSDAY, time(9, 0), places=2)
    client.get("/language/en/?next=/")
    book(client, slot, {**CONTACT, "family_name": "Smith", "given_name": "John"})
    mailoutbox.clear()
    assert reminders_send() == 1
    message = mailoutbox[0]
    assert message.subject == "[Counter booking] Your appointment on Thu 26 November 2026 at 9:00"
    assert message.body.startswith("Dear Smith John,")
    assert "You have an appointment tomorrow, Thu 26 November 2026 at 9:00." in message.body
    assert "A photo taken on or after Tue 26 May 2026 (4 cm high × 3 cm wide)" in message.body
    assert "cannot receive replies" in message.body


def test_the_cancel_page_asks_before_cancelling(client, slot) -> None:
    reservation, _html = done_page(client, slot)
    html = client.get(f"/reservation/{reservation.token}/cancel/").content.decode()
    assert "2026年11月26日（木） 9:00" in html
    reservation.refresh_from_db()
    assert reservation.status == Reservation.Status.BOOKED


def test_plain_reads_give_what_the_orm_gives(client, frozen) -> None:
    """The booking pages' plain SQL reads (reservations.plain_sql) give the same values, types and time zones as
    the ORM, on SQLite and on PostgreSQL."""
    from reservations import plain_sql, selectors

    slot = factories.slot(date(2026, 11, 26), time(9, 0), places=3)
    factories.staffed(3)
    assert book(client, slot).status_code == 302
    reservation = Reservation.objects.get()
    by_orm = Reservation.objects.select_related("slot").get(pk=reservation.pk)
    fields = tuple(field.name for field in Reservation._meta.concrete_fields)
    (plain,) = plain_sql.rows(Reservation, fields, "id = %s", [reservation.pk])
    for field in Reservation._meta.concrete_fields:
        assert getattr(plain, field.attname) == getattr(by_orm, field.attname), field.name
        assert type(getattr(plain, field.attname)) is type(getattr(by_orm, field.attname)), field.name
    assert plain.created_at.tzinfo is not None
    together, slots = plain_sql.rows_together(
        [(Reservation, fields, "id = %s", [reservation.pk]), (Slot, selectors.SLOT_FIELDS, "id = %s", [slot.pk])]
    )
    assert [(r.pk, r.created_at, r.phone) for r in together] == [(plain.pk, plain.created_at, plain.phone)]
    assert [(s.pk, s.day, s.start, s.left) for s in slots] == [(slot.pk, slot.day, slot.start, 2)]
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as queries:
        by_token = selectors.reservation_by_token(reservation.token)
    # One round trip on PostgreSQL; elsewhere its two statements go one by one.
    assert len(queries) == (1 if connection.vendor == "postgresql" else 2)
    assert by_token is not None and by_token.pk == reservation.pk
    assert (by_token.slot.day, by_token.slot.start, by_token.slot.left) == (slot.day, slot.start, 2)
    Reservation.objects.filter(pk=reservation.pk).update(anonymised_at=by_orm.created_at)
    assert selectors.reservation_by_token(reservation.token) is None
    assert [s.pk for s in selectors.day_slots(procedure=slot.procedure, day=slot.day)] == [slot.pk]
    assert selectors.day_slot(procedure=slot.procedure, day=date(2026, 11, 27), slot_id=slot.pk) is None
