"""In Chromium: the supervisor creates a staff account, the new member sets a password with the link and logs in;
the supervisor resets a member's second factor and switches an account off, whose bookings go to a colleague at once
and whose open session ends."""

from __future__ import annotations

import re

import pytest
from django.contrib.auth import get_user_model
from django_otp.plugins.otp_totp.models import TOTPDevice

from reservations import staffing
from reservations.models import Reservation, Slot
from staff.models import SecurityEvent
from tests import factories
from tests.browser.conftest import axe_violations
from tests.browser.test_rota import book_online, booking_day, log_in, supervisor

pytestmark = pytest.mark.django_db(transaction=True)

NEW_PASSWORD = "minato-kita-2026"


def test_the_supervisor_creates_an_account_and_the_new_member_sets_a_password(live_server, desk, browser) -> None:
    factories.procedure()
    _bob, device = supervisor()
    log_in(desk, live_server, "bob", device)
    desk.get_by_role("link", name="職員アカウント").click()
    desk.get_by_role("heading", name="職員アカウント").wait_for()
    assert axe_violations(desk) == []
    desk.get_by_role("link", name="新しいアカウントを作成").click()
    desk.get_by_role("heading", name="新しいアカウント").wait_for()
    assert axe_violations(desk) == []

    # Sent empty first: a summary at the top, each message under its field, nothing made.
    desk.get_by_role("button", name="アカウントを作成する").click()
    desk.get_by_role("heading", name="入力内容を確認してください").wait_for()
    assert get_user_model().objects.count() == 1

    desk.get_by_label(re.compile(r"^姓")).fill("中川")
    desk.get_by_label(re.compile(r"^名")).fill("誠")
    desk.get_by_label(re.compile(r"^ユーザー名")).fill("nakagawa")
    desk.get_by_label("窓口職員").check()
    desk.get_by_label("本人が設定する（パスワード設定用リンクを発行）").check()
    desk.get_by_role("button", name="アカウントを作成する").click()
    desk.get_by_role("heading", name="アカウントを作成しました").wait_for()
    assert axe_violations(desk) == []
    link = desk.locator("code.url").inner_text()
    assert link.startswith(f"{live_server.url}/accounts/password/set/")

    context = browser.new_context(locale="ja-JP", timezone_id="Asia/Tokyo")
    member = context.new_page()
    try:
        member.goto(link)
        member.get_by_role("heading", name="パスワードの設定").wait_for()
        assert axe_violations(member) == []
        member.get_by_role("textbox", name="新しいパスワード 必須", exact=True).fill(NEW_PASSWORD)
        member.get_by_role("textbox", name="新しいパスワード(確認用) 必須", exact=True).fill(NEW_PASSWORD)
        member.get_by_role("button", name="パスワードを設定する").click()
        member.get_by_text("パスワードを設定しました").wait_for()
        member.get_by_label("ユーザー名").fill("nakagawa")
        member.get_by_label("パスワード").fill(NEW_PASSWORD)
        member.get_by_role("button", name="ログイン").click()
        member.get_by_role("heading", name="市民検索").wait_for()
    finally:
        context.close()
    nakagawa = get_user_model().objects.get(username="nakagawa")
    assert (nakagawa.last_name, nakagawa.first_name) == ("中川", "誠")
    kinds = set(SecurityEvent.objects.filter(user=nakagawa).values_list("kind", flat=True))
    assert {"account_created", "password_link", "password_set", "login"} <= kinds


def test_the_supervisor_resets_a_second_factor_and_switches_an_account_off(live_server, desk, phone, browser) -> None:
    procedure = factories.procedure()
    _bob, device = supervisor()
    sato = factories.clerk("sato", family_name="佐藤", given_name="花子")
    ito = factories.clerk("ito", family_name="伊藤", given_name="健")
    TOTPDevice.objects.create(user=ito, name="古い電話", confirmed=True)
    factories.weekly(sato)
    factories.weekly(ito)
    staffing.slots_sync_all()
    day = booking_day()
    first = book_online(phone, live_server, procedure, day, "10:00〜10:30")
    if first.clerk != sato:
        # Make Sato the responsible clerk, so switching Sato off has something to move.
        Reservation.objects.filter(pk=first.pk).update(clerk=sato)

    # Sato is logged in at another counter PC.
    context = browser.new_context(locale="ja-JP", timezone_id="Asia/Tokyo")
    sato_page = context.new_page()
    log_in(sato_page, live_server, "sato")

    log_in(desk, live_server, "bob", device)
    desk.goto(f"{live_server.url}/staff/accounts/")
    desk.get_by_role("button", name="itoさんの二段階認証をリセット").click()
    desk.get_by_text("ito さんの認証アプリの登録を削除しました").wait_for()
    assert "/accounts/otp/enrol/" in desk.locator("code.url").inner_text()
    assert not TOTPDevice.objects.filter(user=ito).exists()

    desk.get_by_role("link", name="satoさんのアカウントを無効にする").click()
    desk.get_by_role("heading", name="佐藤 花子さんのアカウントを無効にする").wait_for()
    assert axe_violations(desk) == []
    desk.get_by_role("button", name="satoさんのアカウントを無効にする").click()
    desk.get_by_text("sato さんのアカウントを無効にしました").wait_for()
    desk.get_by_text(f"予約 {first.display_number}").wait_for()
    first.refresh_from_db()
    assert first.clerk == ito
    assert desk.get_by_role("heading", name="無効のアカウント").is_visible()
    # Sato's open session ends at the next click.
    sato_page.goto(f"{live_server.url}/staff/mine/")
    sato_page.get_by_role("button", name="ログイン").wait_for()
    context.close()
    # Places follow at once: Sato no longer counts for any slot.
    assert set(Slot.objects.filter(day=day).values_list("rota_places", flat=True)) == {1}
