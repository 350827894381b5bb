"""After a failed submit on a phone, the resident sees at once that something is wrong: the error summary is on
the first screen without scrolling, the tab title says so, and the next Tab goes to the summary's first link.
No JavaScript is involved: the summary is first in <main> and the form posts to its #error-summary anchor."""

from __future__ import annotations

import re

import pytest

from reservations.models import Reservation
from tests.browser.conftest import PHONE
from tests.browser.test_resident import assert_accessible, booking_day, prepare

pytestmark = pytest.mark.django_db(transaction=True)


def assert_summary_on_the_first_screen(page, heading: str) -> None:
    summary = page.locator("#error-summary")
    summary.get_by_role("heading", name=heading).wait_for()
    box = summary.bounding_box()
    assert box is not None
    assert 0 <= box["y"] and box["y"] + box["height"] <= PHONE["height"], box
    # The fragment makes the summary the place sequential navigation starts from: Tab lands on its first link.
    page.keyboard.press("Tab")
    first_link = summary.get_by_role("link").first
    assert page.evaluate("document.activeElement.getAttribute('href')") == first_link.get_attribute("href")


def to_acknowledgements(page, live_server, time_label: str) -> None:
    day = booking_day()
    page.goto(f"{live_server.url}/book/p/jr-pass/?month={day:%Y-%m}")
    page.locator(f'a[href$="/{day.isoformat()}/"]').click()
    page.get_by_role("button", name=time_label).click()


def test_a_failed_submit_shows_the_summary_on_the_first_screen_of_a_phone(live_server, phone) -> None:
    prepare()
    to_acknowledgements(phone, live_server, "10:00〜10:30")
    phone.get_by_role("heading", name="確認事項を読んでチェックしてください").wait_for()
    phone.get_by_role("button", name="次へ").click()
    assert_summary_on_the_first_screen(phone, "入力内容を確認してください")
    assert phone.title().startswith("入力内容を確認してください：")
    assert_accessible(phone)
    for box in phone.get_by_role("checkbox").all():
        box.check()
    phone.get_by_role("button", name="次へ").click()
    phone.get_by_role("heading", name="連絡先を入力してください").wait_for()
    # A page without errors has neither the summary nor the title's prefix, and starts at the top.
    assert phone.locator("#error-summary").count() == 0
    assert not phone.title().startswith("入力内容を確認してください")
    assert phone.evaluate("window.scrollY") == 0
    phone.get_by_label("姓").first.fill("田中")
    phone.get_by_label(re.compile(r"^名")).fill("陽子")
    phone.get_by_label("セイ（フリガナ）").fill("タナカ")
    phone.get_by_label("メイ（フリガナ）").fill("ヨウコ")
    phone.get_by_role("button", name="確認画面へ").click()
    assert_summary_on_the_first_screen(phone, "入力内容を確認してください")
    assert phone.title().startswith("入力内容を確認してください：")
    assert phone.locator("#error-summary").get_by_role("link").first.inner_text() == "電話番号を入力してください。"
    assert_accessible(phone)
    # Correcting the error goes on to the confirmation page.
    phone.get_by_label("電話番号").fill("090-1234-5678")
    phone.get_by_role("button", name="確認画面へ").click()
    phone.get_by_role("heading", name="予約内容を確認してください").wait_for()
    assert not Reservation.objects.exists()


def test_the_english_pages_say_so_in_the_title_too(live_server, phone) -> None:
    prepare()
    phone.goto(f"{live_server.url}/")
    phone.get_by_role("link", name="English").click()
    to_acknowledgements(phone, live_server, "10:00–10:30")
    phone.get_by_role("heading", name="Please read and tick each statement").wait_for()
    phone.get_by_role("button", name="Next").click()
    assert_summary_on_the_first_screen(phone, "Please check your answers")
    assert phone.title().startswith("Check your entries: ")
    assert_accessible(phone)
