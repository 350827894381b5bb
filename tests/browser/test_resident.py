from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from reservations import calendar
from reservations.models import Reservation
from reservations.slots import slots_generate_all
from tests import factories
from tests.browser.conftest import axe_violations

pytestmark = pytest.mark.django_db(transaction=True)


def booking_day():
    """The second office day from now: bookable whatever the hour of the test run."""
    first = calendar.next_office_day(timezone.localdate())
    return calendar.next_office_day(first)


def prepare() -> None:
    factories.ensure_defaults()
    factories.staffed(2)  # two qualified clerks at the counter, so every slot offers its two places
    slots_generate_all()


def assert_accessible(page) -> None:
    assert axe_violations(page) == [], page.url


def choose_day_and_time(page, day) -> None:
    if page.locator(f'a[href$="/{day.isoformat()}/"]').count() == 0:
        page.get_by_role("link", name="次の月").click()
    assert_accessible(page)
    page.locator(f'a[href$="/{day.isoformat()}/"]').click()
    page.get_by_role("heading", name="時間を選んでください").wait_for()
    assert_accessible(page)
    page.get_by_role("button", name="10:00〜10:30").click()


def tick_and_fill(page, *, contact: bool, phone_number: str = "") -> None:
    page.get_by_role("heading", name="確認事項を読んでチェックしてください").wait_for()
    assert_accessible(page)
    assert page.get_by_text("以降に撮影した写真が必要です").is_visible()
    for box in page.get_by_role("checkbox").all():
        box.check()
    page.get_by_role("button", name="次へ").click()
    page.get_by_role("heading", name="連絡先を入力してください").wait_for()
    assert_accessible(page)
    if contact:
        page.get_by_label("姓").first.fill("田中")
        page.get_by_label("名", exact=False).nth(1).fill("陽子")
        page.get_by_label("セイ（フリガナ）").fill("たなか")
        page.get_by_label("メイ（フリガナ）").fill("ようこ")
        page.get_by_label("電話番号").fill("090-1234-5678")
    elif phone_number:
        page.get_by_label("電話番号").fill(phone_number)
    page.get_by_role("button", name="確認画面へ").click()
    page.get_by_role("heading", name="予約内容を確認してください").wait_for()
    assert_accessible(page)
    page.get_by_role("button", name="この内容で予約する").click()
    page.get_by_role("heading", name="予約が完了しました").wait_for()
    assert_accessible(page)


def test_a_resident_books_from_the_letter_code_on_a_phone_cancels_and_books_again(live_server, phone) -> None:
    prepare()
    resident = factories.resident(
        family_name="鈴木",
        given_name="一郎",
        family_name_kana="スズキ",
        given_name_kana="イチロウ",
        phone="06-5555-0101",
        phone_digits="0655550101",
    )
    certificate = factories.certificate(resident, issued_on=timezone.localdate() - timedelta(days=170))
    # The code comes from a real letter of a prepared monthly batch.
    from notices.services import notice_batch_prepare

    batch = notice_batch_prepare(month=certificate.expires_on.replace(day=1))
    code = batch.letters.get().invitation.code
    day = booking_day()
    phone.goto(f"{live_server.url}/")
    assert_accessible(phone)
    phone.goto(f"{live_server.url}/book/{code}/")
    phone.get_by_text("予約コードを確認しました").wait_for()
    choose_day_and_time(phone, day)
    # The letter's code fills in the name; the phone number the office holds is never shown: the resident types it.
    tick_and_fill(phone, contact=False, phone_number="06-5555-0101")
    reservation = Reservation.objects.get()
    assert (reservation.resident, reservation.certificate) == (resident, certificate)
    assert phone.locator(".big-number").inner_text() == reservation.display_number
    assert phone.evaluate("document.documentElement.scrollWidth") <= 390  # nothing wider than the phone

    phone.get_by_role("link", name="予約を取り消す").click()
    assert_accessible(phone)
    phone.get_by_role("button", name="取り消す").click()
    phone.get_by_text("予約を取り消しました").wait_for()
    reservation.refresh_from_db()
    assert reservation.status == "cancelled"

    phone.goto(f"{live_server.url}/book/{code}/")
    choose_day_and_time(phone, day)
    tick_and_fill(phone, contact=False, phone_number="06-5555-0101")
    assert Reservation.objects.filter(status="booked", resident=resident).count() == 1


def test_a_resident_books_without_a_code_using_the_keyboard_only(live_server, phone) -> None:
    prepare()
    day = booking_day()
    page = phone
    page.goto(f"{live_server.url}/book/p/jr-pass/")
    if page.locator(f'a[href$="/{day.isoformat()}/"]').count() == 0:
        page.goto(f"{live_server.url}/book/p/jr-pass/?month={day:%Y-%m}")
    link = page.locator(f'a[href$="/{day.isoformat()}/"]')
    link.focus()
    page.keyboard.press("Enter")
    page.get_by_role("heading", name="時間を選んでください").wait_for()
    page.get_by_role("button", name="10:00〜10:30").focus()
    page.keyboard.press("Enter")
    page.get_by_role("heading", name="確認事項を読んでチェックしてください").wait_for()
    # Tab through the page: the skip link comes first, then the language switch.
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.className") == "skip-link"
    for box in page.get_by_role("checkbox").all():
        box.focus()
        page.keyboard.press("Space")
    page.get_by_role("button", name="次へ").focus()
    page.keyboard.press("Enter")
    page.get_by_role("heading", name="連絡先を入力してください").wait_for()
    page.locator("#id_family_name").focus()
    for value in ["田中", "陽子", "たなか", "ようこ", "090-2222-3333"]:
        page.keyboard.insert_text(value)
        page.keyboard.press("Tab")
        if page.evaluate("document.activeElement.tagName") == "P":
            page.keyboard.press("Tab")
    page.get_by_role("button", name="確認画面へ").focus()
    page.keyboard.press("Enter")
    page.get_by_role("button", name="この内容で予約する").focus()
    page.keyboard.press("Enter")
    page.get_by_role("heading", name="予約が完了しました").wait_for()
    reservation = Reservation.objects.get()
    assert (reservation.family_name_kana, reservation.phone) == ("タナカ", "090-2222-3333")


def test_the_acknowledgement_page_will_not_go_on_without_every_box(live_server, phone) -> None:
    prepare()
    day = booking_day()
    phone.goto(f"{live_server.url}/book/p/jr-pass/?month={day:%Y-%m}")
    phone.locator(f'a[href$="/{day.isoformat()}/"]').click()
    phone.get_by_role("button", name="10:00〜10:30").click()
    phone.get_by_role("checkbox").first.check()
    phone.get_by_role("button", name="次へ").click()
    phone.get_by_role("alert").get_by_text("入力内容を確認してください").wait_for()
    assert_accessible(phone)
    assert "/book/acknowledgements/" in phone.url


def test_reservation_lookup_page_is_accessible_and_answers_wrong_input_plainly(live_server, phone) -> None:
    prepare()
    phone.goto(f"{live_server.url}/reservation/")
    assert_accessible(phone)
    phone.get_by_label("予約番号").fill("AAAA-AAAA")
    phone.get_by_label("電話番号").fill("090-0000-0000")
    phone.get_by_role("button", name="予約を表示する").click()
    phone.get_by_text("組み合わせが見つかりませんでした").wait_for()
    assert_accessible(phone)


def test_the_other_public_pages_pass_axe_in_both_languages(live_server, phone) -> None:
    prepare()
    for path in ["/", "/book/code/", "/book/ZZZZZZZZ/", "/book/p/jr-pass/", "/reservation/"]:
        phone.goto(f"{live_server.url}{path}")
        assert_accessible(phone)
    phone.get_by_role("link", name="English").click()
    phone.wait_for_url("**/reservation/")
    assert phone.locator("html").get_attribute("lang") == "en"
    assert_accessible(phone)
    phone.goto(f"{live_server.url}/book/p/jr-pass/")
    phone.get_by_role("heading", name="Please choose a day").wait_for()
    assert_accessible(phone)
