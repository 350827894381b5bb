from __future__ import annotations

import io
import time
from datetime import timedelta

import pytest
from django.utils import timezone
from pypdf import PdfReader

from certificates.models import Certificate
from notices.models import Letter, NoticeBatch
from reservations.booking import Contact, reservation_book
from reservations.models import Reservation, Slot, WalkIn
from tests import factories
from tests.browser.conftest import axe_violations
from tests.factories import PASSWORD

pytestmark = pytest.mark.django_db(transaction=True)


def log_in(page, live_server, username: str) -> None:
    page.goto(f"{live_server.url}/staff/day/")
    page.get_by_label("ユーザー名").fill(username)
    page.get_by_label("パスワード").fill(PASSWORD)
    page.get_by_role("button", name="ログイン").click()


def test_a_clerk_works_through_a_day(live_server, desk) -> None:
    factories.user("alice", "clerk")
    procedure = factories.procedure()
    # Today's appointment (arrival and issue happen only on the appointment's day), begun five minutes ago so that
    # staff can still book it whatever the hour of the run, and ending before midnight. A run in the day's last
    # minute first waits for the next day, so that the clerk's whole day happens on one date.
    now = timezone.localtime()
    midnight = (now + timedelta(days=1)).replace(hour=0, minute=0, second=0, microsecond=0)
    if midnight - now < timedelta(minutes=1):
        time.sleep((midnight - now).total_seconds() + 1)
        now = timezone.localtime()
    today = day = now.date()
    start = max(now - timedelta(minutes=5), now.replace(hour=0, minute=0)).replace(second=0, microsecond=0)
    end = min(start + timedelta(minutes=30), now.replace(hour=23, minute=59, second=0, microsecond=0))
    slot = Slot.objects.create(
        procedure=procedure,
        day=day,
        start=start.time(),
        end=end.time(),
        places=3,
        rota_places=3,
    )
    for index in range(3):  # three qualified clerks on duty for it
        factories.on_duty(factories.clerk(f"counter{index + 1}", procedure), day, slot.start, slot.end)
    clerk = factories.user("dora", "clerk")
    acks = list(procedure.acknowledgements.values_list("pk", flat=True))
    resident = factories.resident(
        family_name="鈴木", given_name="一郎", family_name_kana="スズキ", given_name_kana="イチロウ"
    )
    old = factories.certificate(resident, issued_on=today - timedelta(days=175), route_from="大阪", route_to="京都")
    arriving = reservation_book(
        procedure=procedure,
        slot_id=slot.pk,
        acknowledged=acks,
        channel="phone",
        user=clerk,
        contact=Contact("鈴木", "一郎", "スズキ", "イチロウ", "06-1111-0001"),
    )
    Reservation.objects.filter(pk=arriving.pk).update(resident=resident, certificate=old)
    missing = reservation_book(
        procedure=procedure,
        slot_id=slot.pk,
        acknowledged=acks,
        channel="phone",
        user=clerk,
        contact=Contact("高橋", "健", "タカハシ", "ケン", "06-1111-0002"),
    )

    log_in(desk, live_server, "alice")
    desk.goto(f"{live_server.url}/staff/day/{day.isoformat()}/")
    desk.get_by_role("heading", name="予約一覧").wait_for()
    assert axe_violations(desk) == []
    row = desk.get_by_role("row").filter(has_text=arriving.display_number)
    row.get_by_role("button", name="来庁", exact=True).click()
    desk.get_by_text(f"予約 {arriving.display_number} を「来庁」にしました").wait_for()
    desk.get_by_role("row").filter(has_text=arriving.display_number).get_by_role("link", name="証明書を交付").click()
    assert desk.get_by_label("区間（から）").input_value() == "大阪"
    desk.get_by_label("写真の撮影日").fill((today - timedelta(days=10)).isoformat())
    desk.get_by_role("button", name="交付する").click()
    desk.get_by_text("を交付しました").wait_for()
    renewal = Certificate.objects.get(renews=old)
    arriving.refresh_from_db()
    assert (arriving.status, arriving.issued_certificate) == ("done", renewal)

    missing_row = desk.get_by_role("row").filter(has_text=missing.display_number)
    missing_row.get_by_role("button", name="来庁なし", exact=True).click()
    desk.get_by_text(f"予約 {missing.display_number} を「来庁なし」にしました").wait_for()
    missing.refresh_from_db()
    assert missing.status == "no_show"

    desk.get_by_role("link", name="代理予約・来庁記録").click()
    assert axe_violations(desk) == []
    desk.get_by_role("button", name="記録する").click()
    desk.get_by_text("予約なしの来庁を記録しました").wait_for()
    assert WalkIn.objects.count() == 1

    desk.goto(f"{live_server.url}/staff/day/{day.isoformat()}/")
    desk.emulate_media(media="print")
    assert not desk.locator(".staff-nav").is_visible()
    assert desk.get_by_role("table").first.is_visible()
    pdf = desk.pdf(format="A4")  # what the printer gets
    text = PdfReader(io.BytesIO(pdf)).pages[0].extract_text()
    assert arriving.display_number in text and "ログアウト" not in text


def test_a_supervisor_prepares_the_letters_marks_them_mailed_and_reads_the_outcome(live_server, desk) -> None:
    from django_otp.oath import totp
    from django_otp.plugins.otp_totp.models import TOTPDevice

    bob = factories.user("bob", "supervisor")
    device = TOTPDevice.objects.create(user=bob, name="phone", confirmed=True)
    today = timezone.localdate()
    target = (today.replace(day=1) + timedelta(days=70)).replace(day=1)
    for i in range(3):
        resident = factories.resident(postal_code=f"53{i}-0001")
        factories.certificate(resident, issued_on=target.replace(day=10 + i) - timedelta(days=183))
    log_in(desk, live_server, "bob")
    desk.get_by_role("heading", name="確認コードの入力").wait_for()
    assert axe_violations(desk) == []
    desk.get_by_label("確認コード（6桁）").fill(f"{totp(device.bin_key):06d}")
    desk.get_by_role("button", name="確認").click()
    desk.get_by_role("heading", name="予約一覧").wait_for()
    desk.get_by_role("link", name="お知らせ").click()
    assert axe_violations(desk) == []
    desk.get_by_label("対象月（有効期限の月）").fill(f"{target:%Y-%m}")
    desk.get_by_role("button", name="作成する").click()
    desk.get_by_text("通）を用意しました").wait_for()
    batch = NoticeBatch.objects.get()
    assert batch.letter_count == 3
    assert axe_violations(desk) == []
    with desk.expect_download() as download_info:
        desk.get_by_role("link", name="印刷用PDFをダウンロード").click()
    path = download_info.value.path()
    assert len(PdfReader(path).pages) == 4
    # Before mailing: one household is no longer eligible; its letter is withdrawn and left out of the PDF.
    desk.get_by_role("link", name="宛先の資格を確認する").click()
    desk.get_by_role("heading", name="3. 取り下げる方を確かめる").wait_for()
    assert axe_violations(desk) == []
    ended = Letter.objects.order_by("postal_code").first()
    desk.get_by_label(ended.resident.case_number, exact=True).check()
    desk.get_by_label("取り下げの理由").fill("保護廃止")
    desk.get_by_role("button", name="チェックした方のお知らせを取り下げる").click()
    desk.get_by_text("1通を取り下げ、印刷用PDFを作り直しました").wait_for()
    desk.get_by_role("button", name="宛先の資格の確認を終えた").click()
    desk.get_by_text("資格の確認を記録しました").wait_for()
    desk.get_by_role("button", name="発送済みにする").click()
    desk.get_by_text("発送済みにしました").wait_for()
    batch.refresh_from_db()
    assert (batch.status, batch.letter_count) == ("mailed", 2)
    assert Letter.objects.get(pk=ended.pk).status == "withdrawn"
    desk.goto(f"{live_server.url}/staff/notices/outcomes/")
    assert desk.locator("svg[role=img]").first.is_visible()
    assert axe_violations(desk) == []
