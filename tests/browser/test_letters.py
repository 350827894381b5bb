"""The letter's settings tried by a supervisor and a clerk in Chromium: furigana readings, the calibration sheet,
the per-resident print options, and the batch page's warning about an address that cannot fit the window."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from certificates.models import Resident
from notices.models import ReadingCorrection
from tests import factories
from tests.browser.conftest import axe_violations
from tests.factories import PASSWORD

pytestmark = pytest.mark.django_db(transaction=True)


def log_in(page, live_server, username: str) -> None:
    page.goto(f"{live_server.url}/staff/day/")
    page.get_by_label("ユーザー名").fill(username)
    page.get_by_label("パスワード").fill(PASSWORD)
    page.get_by_role("button", name="ログイン").click()


def log_in_supervisor(page, live_server) -> None:
    from django_otp.oath import totp
    from django_otp.plugins.otp_totp.models import TOTPDevice

    bob = factories.user("bob", "supervisor")
    device = TOTPDevice.objects.create(user=bob, name="phone", confirmed=True)
    log_in(page, live_server, "bob")
    page.get_by_label("確認コード（6桁）").fill(f"{totp(device.bin_key):06d}")
    page.get_by_role("button", name="確認").click()
    page.get_by_role("heading", name="予約一覧").wait_for()


def test_a_supervisor_corrects_a_reading_and_sees_it_before_any_letter_is_printed(live_server, desk) -> None:
    factories.ensure_defaults()
    log_in_supervisor(desk, live_server)
    desk.get_by_role("link", name="お知らせ").click()
    desk.get_by_role("link", name="文面の編集").click()
    desk.get_by_role("link", name="ふりがなの読みの修正").click()
    desk.get_by_role("heading", name="ふりがなの読みの修正").wait_for()
    assert axe_violations(desk) == []
    desk.get_by_label("文や語").fill("行き違い")
    desk.get_by_role("button", name="ふりがなを表示").click()
    assert desk.locator(".ruby-sample .rt").all_inner_texts() == ["い", "ちが"]
    desk.get_by_role("button", name="登録する").click()  # nothing typed
    desk.locator(".error-summary, [role=alert]").first.wait_for()
    assert not ReadingCorrection.objects.filter(word="").exists()
    desk.get_by_label("語必須", exact=True).fill("行き違い")
    desk.get_by_label("読み必須", exact=True).fill("ユキチガイ")
    desk.get_by_role("button", name="登録する").click()
    desk.get_by_text("「行き違い」を「ゆきちがい」と読むようにしました。").wait_for()
    assert axe_violations(desk) == []
    desk.get_by_label("文や語").fill("お知らせと行き違いで")
    desk.get_by_role("button", name="ふりがなを表示").click()
    assert desk.locator(".ruby-sample .rt").all_inner_texts()[-2:] == ["ゆ", "ちが"]


def test_the_batch_page_warns_of_an_address_too_long_for_the_window_and_offers_the_calibration_sheet(
    live_server, desk
) -> None:
    today = timezone.localdate()
    target = (today.replace(day=1) + timedelta(days=70)).replace(day=1)
    resident = factories.resident(address="大阪府大阪市北区梅田一丁目二番三号グランドメゾン梅田")
    factories.certificate(resident, issued_on=target.replace(day=10) - timedelta(days=183))
    log_in_supervisor(desk, live_server)
    desk.get_by_role("link", name="お知らせ").click()
    desk.get_by_label("対象月（有効期限の月）").fill(f"{target:%Y-%m}")
    desk.get_by_role("button", name="作成する").click()
    desk.get_by_text("通）を用意しました").wait_for()
    desk.get_by_text("宛名が封筒の窓に収まらないお知らせが1通あります").wait_for()
    assert desk.get_by_text("宛名が窓に収まりません").is_visible()
    assert axe_violations(desk) == []
    link = desk.get_by_role("link", name="封筒の窓と折り線の位置合わせ用の紙を印刷")
    response = desk.request.get(live_server.url + link.get_attribute("href"))
    assert response.ok and response.headers["content-type"] == "application/pdf"


def test_a_clerk_chooses_large_print_and_furigana_on_the_residents_record(live_server, desk) -> None:
    factories.user("alice", "clerk")
    resident = factories.resident()
    log_in(desk, live_server, "alice")
    desk.get_by_role("heading", name="予約一覧").wait_for()
    desk.goto(f"{live_server.url}/staff/residents/{resident.pk}/")
    desk.get_by_role("link", name="登録内容を変更").click()
    desk.get_by_label("お知らせを大きな文字で送る").check()
    desk.get_by_label("お知らせにふりがなを付ける").check()
    assert axe_violations(desk) == []
    desk.get_by_role("button", name="変更する").click()
    desk.get_by_text("（大きな文字）（ふりがな付き）").wait_for()
    resident = Resident.objects.get(pk=resident.pk)
    assert resident.letter_large_print and resident.letter_furigana
