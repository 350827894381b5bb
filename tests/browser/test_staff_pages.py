"""The staff pages as a clerk meets them: a caller's letter code, a refused page, a form sent back with an error,
a photo that looks reused, and the printed day list."""

from __future__ import annotations

from datetime import date, time, timedelta

import pytest
from django.utils import timezone

from certificates.models import Certificate
from reservations import calendar
from reservations.models import Invitation, Reservation
from tests import factories
from tests.browser.conftest import axe_violations
from tests.factories import PASSWORD

pytestmark = pytest.mark.django_db(transaction=True)


def log_in(page, live_server, username: str) -> None:
    page.goto(f"{live_server.url}/staff/day/")
    page.get_by_label("ユーザー名").fill(username)
    page.get_by_label("パスワード").fill(PASSWORD)
    page.get_by_role("button", name="ログイン").click()
    page.get_by_role("navigation", name="職員メニュー").wait_for()


def next_office_day() -> date:
    today = timezone.localdate()
    return calendar.next_office_day(today) or today + timedelta(days=1)


def tick_every_acknowledgement(page) -> None:
    for box in page.get_by_role("group", name="確認事項").get_by_role("checkbox").all():
        box.check()


def test_a_clerk_books_a_caller_by_the_code_on_their_letter(live_server, desk) -> None:
    factories.user("alice", "clerk")
    day = next_office_day()
    slot = factories.slot(day, time(10, 0))
    resident = factories.resident(
        family_name="鈴木",
        given_name="一郎",
        family_name_kana="スズキ",
        given_name_kana="イチロウ",
        birth_date=date(1960, 5, 13),
        phone="06-5555-0001",
        phone_digits="0655550001",
    )
    certificate = factories.certificate(resident, issued_on=day - timedelta(days=170))
    invitation = Invitation.objects.create(
        code="ACDEFG34",
        resident=resident,
        certificate=certificate,
        procedure=slot.procedure,
        valid_until=day + timedelta(days=60),
    )
    log_in(desk, live_server, "alice")
    desk.get_by_role("link", name="代理予約・来庁記録").click()
    desk.get_by_label("予約コード").fill("acde fg99")
    desk.get_by_role("button", name="コードで呼び出す").click()
    desk.get_by_text("予約コード ACDE-FG99 は見つかりませんでした").wait_for()
    assert desk.get_by_label("予約コード").input_value() == "ACDE-FG99"
    assert axe_violations(desk) == []

    desk.get_by_label("予約コード").fill("acde-fg34")
    desk.get_by_role("button", name="コードで呼び出す").click()
    desk.get_by_role("heading", name="お知らせの予約コード ACDE-FG34").wait_for()
    assert "昭和35年" in desk.locator("#letter").inner_text()
    assert desk.get_by_label("姓", exact=False).first.input_value() == "鈴木"
    desk.get_by_label("日付", exact=True).fill(day.isoformat())
    desk.get_by_role("button", name="空き時間を表示").click()
    desk.get_by_role("heading", name="お知らせの予約コード ACDE-FG34").wait_for()
    assert axe_violations(desk) == []
    desk.get_by_label("時間").select_option(str(slot.pk))
    tick_every_acknowledgement(desk)
    desk.get_by_role("button", name="予約する").click()
    desk.get_by_text("お知らせの予約コードで予約しました").wait_for()
    reservation = Reservation.objects.get()
    assert (reservation.invitation_id, reservation.resident_id, reservation.channel) == (
        invitation.pk,
        resident.pk,
        "phone",
    )
    row = desk.get_by_role("row").filter(has_text=reservation.display_number)
    assert "お知らせ" in row.inner_text()

    # When the caller rings again, the number they were told finds the booking, typed with or without the hyphen.
    desk.get_by_role("link", name="本日の予約").click()
    desk.get_by_label("予約番号で探す").fill(reservation.number.lower())
    desk.get_by_role("button", name="探す", exact=True).click()
    desk.get_by_text(f"予約 {reservation.display_number} は").wait_for()
    assert desk.url.endswith(f"/staff/day/{day.isoformat()}/#r-{reservation.pk}")


def test_a_clerk_opening_a_supervisor_page_is_told_why_in_japanese(live_server, desk) -> None:
    factories.user("alice", "clerk")
    log_in(desk, live_server, "alice")
    response = desk.goto(f"{live_server.url}/staff/calendar/")
    assert response.status == 403
    desk.get_by_role("heading", name="このページは表示できません").wait_for()
    assert "係長だけが使えます" in desk.locator("main").inner_text()
    assert desk.get_by_role("navigation", name="職員メニュー").is_visible()
    assert "Forbidden" not in desk.content()
    assert axe_violations(desk) == []
    desk.get_by_role("link", name="本日の予約へ戻る").click()
    desk.get_by_role("heading", name="予約一覧").wait_for()


def test_the_staff_booking_form_keeps_the_chosen_time_when_it_comes_back(live_server, desk) -> None:
    factories.user("alice", "clerk")
    day = next_office_day()
    factories.slot(day, time(10, 0))
    later = factories.slot(day, time(11, 0))
    log_in(desk, live_server, "alice")
    desk.goto(f"{live_server.url}/staff/book/?day={day.isoformat()}")
    desk.get_by_label("時間").select_option(str(later.pk))
    tick_every_acknowledgement(desk)
    desk.get_by_label("姓", exact=False).first.fill("高橋")
    desk.get_by_label("名", exact=False).first.fill("健")
    desk.get_by_label("セイ（フリガナ）").fill("タカハシ")
    desk.get_by_label("メイ（フリガナ）").fill("ケン")
    desk.get_by_label("電話番号").fill("06-12")  # too short
    desk.get_by_role("button", name="予約する").click()
    desk.get_by_role("heading", name="入力内容を確認してください").wait_for()
    assert desk.get_by_label("時間").input_value() == str(later.pk)
    assert desk.get_by_label("セイ（フリガナ）").input_value() == "タカハシ"
    assert not Reservation.objects.exists()
    assert axe_violations(desk) == []
    desk.get_by_label("電話番号").fill("06-1234-5678")
    tick_every_acknowledgement(desk)
    desk.get_by_role("button", name="予約する").click()
    desk.get_by_text("予約しました").wait_for()
    assert Reservation.objects.get().slot_id == later.pk

    # The printed day list carries no status message.
    desk.emulate_media(media="print")
    assert not desk.get_by_text("予約しました").is_visible()
    assert desk.get_by_role("table").first.is_visible()


def test_a_photo_dated_like_the_previous_one_must_be_acknowledged_before_issuing(live_server, desk) -> None:
    factories.user("alice", "clerk")
    today = timezone.localdate()
    resident = factories.resident(family_name="佐藤", given_name="花子")
    photo = today - timedelta(days=40)
    old = factories.certificate(resident, issued_on=today - timedelta(days=30), photo_taken_on=photo)
    log_in(desk, live_server, "alice")
    desk.goto(f"{live_server.url}/staff/certificates/{old.pk}/renew/")
    label = desk.locator('label[for="id_photo_taken_on"]').inner_text()
    assert "写真の撮影日（申告）" in label and "必須" in label
    desk.get_by_label("写真の撮影日").fill(photo.isoformat())
    desk.get_by_role("button", name="交付する").click()
    warning = desk.get_by_text("前回と同じ写真ではありませんか").last
    warning.wait_for()
    assert not Certificate.objects.filter(renews=old).exists()
    assert axe_violations(desk) == []
    desk.get_by_label("前回の証明書と同じ写真ではないことを確かめました").check()
    desk.get_by_role("button", name="交付する").click()
    desk.get_by_text("を交付しました").wait_for()
    assert Certificate.objects.filter(renews=old).exists()
