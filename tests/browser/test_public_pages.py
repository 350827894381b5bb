"""The resident's pages in Chromium, as a resident on a phone would use them: the error summary, the calendar's
first month, the done page, needs at the counter on the clerk's day list, English with a Latin name, the 404."""

from __future__ import annotations

import re

import pytest
from django.db.models import F
from django.utils import timezone

from reservations.models import Reservation, Slot
from tests import factories
from tests.browser.test_resident import assert_accessible, booking_day, prepare
from tests.browser.test_staff import log_in

pytestmark = pytest.mark.django_db(transaction=True)


def to_details(page, live_server, day, *, english: bool = False) -> None:
    page.goto(f"{live_server.url}/book/p/jr-pass/?month={day:%Y-%m}")
    page.locator(f'a[href$="/{day.isoformat()}/"]').click()
    page.get_by_role("button", name="10:00–10:30" if english else "10:00〜10:30").click()
    for box in page.get_by_role("checkbox").all():
        box.check()
    page.get_by_role("button", name="Next" if english else "次へ").click()
    heading = "Please enter your contact details" if english else "連絡先を入力してください"
    page.get_by_role("heading", name=heading).wait_for()


def test_a_booking_with_errors_shows_a_summary_that_leads_to_each_field_and_keeps_what_was_typed(
    live_server, phone
) -> None:
    prepare()
    to_details(phone, live_server, booking_day())
    phone.get_by_label("姓").first.fill("田中")
    phone.get_by_label(re.compile(r"^名")).fill("陽子")
    phone.get_by_label("セイ（フリガナ）").fill("たなか")
    phone.get_by_label("メールアドレス").fill("yoko@")
    phone.get_by_role("button", name="確認画面へ").click()
    summary = phone.get_by_role("alert")
    summary.get_by_text("入力内容を確認してください").wait_for()
    links = summary.get_by_role("link")
    texts = [links.nth(i).inner_text() for i in range(links.count())]
    assert "メイ（フリガナ）を入力してください。" in texts
    assert "電話番号を入力してください。" in texts
    assert any("例：madoguchi@example.jp" in t for t in texts)
    assert not any("このフィールド" in t for t in texts)
    assert_accessible(phone)
    # The summary's link takes the resident to the field; what was typed is still there.
    summary.get_by_role("link", name="電話番号を入力してください。").click()
    assert phone.evaluate("document.activeElement.id") == "id_phone"
    assert phone.get_by_label("セイ（フリガナ）").input_value() == "たなか"
    assert phone.get_by_label("メールアドレス").input_value() == "yoko@"
    assert not Reservation.objects.exists()


def test_the_calendar_opens_on_the_first_month_with_a_free_place(live_server, phone) -> None:
    prepare()
    today = timezone.localdate()
    # Every place of this month is taken: the calendar opens on next month rather than on a month of grey days.
    Slot.objects.filter(day__year=today.year, day__month=today.month).update(booked=F("places"))
    following = (today.replace(day=28) + timezone.timedelta(days=7)).replace(day=1)
    phone.goto(f"{live_server.url}/book/p/jr-pass/")
    caption = phone.locator("caption").inner_text()
    assert caption == f"{following.year}年{following.month}月"
    assert phone.locator("td a").count() > 0
    assert_accessible(phone)


def test_the_done_page_says_what_to_do_on_the_day(live_server, phone) -> None:
    prepare()
    day = booking_day()
    to_details(phone, live_server, day)
    phone.get_by_label("姓").first.fill("田中")
    phone.get_by_label(re.compile(r"^名")).fill("陽子")
    phone.get_by_label("セイ（フリガナ）").fill("タナカ")
    phone.get_by_label("メイ（フリガナ）").fill("ヨウコ")
    phone.get_by_label("電話番号").fill("090-1234-5678")
    phone.get_by_label("車いす").check()
    phone.get_by_label("その他の配慮").fill("ゆっくり話してほしい")
    phone.get_by_role("button", name="確認画面へ").click()
    phone.get_by_text("車いす、その他：ゆっくり話してほしい").wait_for()
    phone.get_by_role("button", name="この内容で予約する").click()
    phone.get_by_role("heading", name="予約が完了しました").wait_for()
    assert_accessible(phone)
    section = phone.locator("section.on-the-day")
    text = section.inner_text()
    weekday = "月火水木金土日"[day.weekday()]
    assert f"{day.year}年{day.month}月{day.day}日（{weekday}） 10:00に" in text
    assert "定期券を使う方ご本人がお越しください" in text
    assert re.search(r"写真は\d{4}年\d+月\d+日（.）以降に撮影したもの（縦4cm×横3cm）が必要です", text)
    assert section.locator("ul.bring li").count() >= 2
    assert phone.get_by_role("link", name="日時を変更する").is_visible()
    assert phone.get_by_role("link", name="予約を取り消す").is_visible()
    assert phone.evaluate("document.documentElement.scrollWidth") <= 390


def test_needs_at_the_counter_reach_the_clerks_day_list(live_server, phone, desk) -> None:
    prepare()
    factories.user("alice", "clerk")
    day = booking_day()
    to_details(phone, live_server, day)
    phone.get_by_label("姓").first.fill("佐藤")
    phone.get_by_label(re.compile(r"^名")).fill("花子")
    phone.get_by_label("セイ（フリガナ）").fill("サトウ")
    phone.get_by_label("メイ（フリガナ）").fill("ハナコ")
    phone.get_by_label("電話番号").fill("090-2222-0000")
    phone.get_by_label("筆談").check()
    phone.get_by_label("手話通訳").check()
    phone.get_by_role("button", name="確認画面へ").click()
    phone.get_by_role("button", name="この内容で予約する").click()
    phone.get_by_role("heading", name="予約が完了しました").wait_for()
    log_in(desk, live_server, "alice")
    desk.goto(f"{live_server.url}/staff/day/{day.isoformat()}/")
    row = desk.locator("tr", has_text="佐藤 花子")
    assert row.locator(".badge-needs").inner_text() == "配慮：筆談、手話通訳"
    assert_accessible(desk)


def test_an_english_resident_books_with_a_name_in_latin_letters(live_server, phone) -> None:
    prepare()
    day = booking_day()
    phone.goto(f"{live_server.url}/")
    phone.get_by_role("link", name="English").click()
    to_details(phone, live_server, day, english=True)
    assert_accessible(phone)
    phone.get_by_label(re.compile(r"^Family name\s*Required$")).fill("Smith")
    phone.get_by_label(re.compile(r"^Given name\s*Required$")).fill("John")
    phone.get_by_label("Phone number").fill("090-3333-4444")
    phone.get_by_role("button", name="Continue").click()
    phone.get_by_role("button", name="Book", exact=True).click()
    phone.get_by_role("heading", name="Your reservation is confirmed").wait_for()
    assert_accessible(phone)
    main = phone.locator("main").inner_text()
    assert "On the day" in main and "(4 cm high × 3 cm wide)" in main
    assert "Booked" in phone.locator("dl.facts").inner_text()
    reservation = Reservation.objects.get()
    assert (reservation.family_name, reservation.family_name_kana, reservation.given_name_kana) == (
        "Smith",
        "SMITH",
        "JOHN",
    )


def test_a_missing_page_is_friendly_and_the_favicon_is_served(live_server, phone) -> None:
    prepare()
    phone.goto(f"{live_server.url}/no-such-page/")
    phone.get_by_role("heading", name="ページが見つかりません").wait_for()
    assert_accessible(phone)
    phone.get_by_role("link", name="予約コードで予約する").click()
    phone.wait_for_url("**/book/code/")
    phone.get_by_role("link", name="English").click()
    phone.goto(f"{live_server.url}/no-such-page/")
    phone.get_by_role("heading", name="Page not found").wait_for()
    assert_accessible(phone)
    icon = phone.request.get(f"{live_server.url}/favicon.ico")
    assert icon.status == 200 and icon.headers["content-type"] in {"image/x-icon", "image/vnd.microsoft.icon"}
