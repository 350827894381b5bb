"""In Chromium: the supervisor qualifies a clerk and sets the rota, the public calendar follows it, a booking gets a
responsible clerk, an absence moves or lists the bookings, and a newly qualified clerk serves with the guide."""

from __future__ import annotations

import re
from datetime import time

import pytest
from django.utils import timezone

from reservations import calendar, staffing
from reservations.models import GuideTick, Qualification, Reservation, RotaLog, Slot, UnstaffedBooking
from tests import factories
from tests.browser.conftest import axe_violations
from tests.factories import PASSWORD

pytestmark = pytest.mark.django_db(transaction=True)

WEEKDAY_NAMES = "月火水木金土日"


def booking_day():
    """The second office day from now: bookable online whatever the hour of the test run."""
    return calendar.next_office_day(calendar.next_office_day(timezone.localdate()))


def log_in(page, live_server, username: str, device=None) -> None:
    from django_otp.oath import totp

    page.goto(f"{live_server.url}/staff/day/")
    page.get_by_label("ユーザー名").fill(username)
    page.get_by_label("パスワード").fill(PASSWORD)
    page.get_by_role("button", name="ログイン").click()
    if device is not None:
        page.get_by_label("確認コード（6桁）").fill(f"{totp(device.bin_key):06d}")
        page.get_by_role("button", name="確認").click()
    page.get_by_role("heading", name="予約一覧").wait_for()


def supervisor():
    from django_otp.plugins.otp_totp.models import TOTPDevice

    bob = factories.user("bob", "supervisor")
    bob.last_name, bob.first_name = "係長", "一郎"
    bob.save()
    return bob, TOTPDevice.objects.create(user=bob, name="phone", confirmed=True)


def test_the_supervisor_qualifies_a_clerk_sets_the_rota_and_the_calendar_follows(live_server, desk, phone) -> None:
    procedure = factories.procedure()
    _bob, device = supervisor()
    suzuki = factories.user("suzuki", "clerk")
    suzuki.last_name, suzuki.first_name = "鈴木", "次郎"
    suzuki.save()
    factories.weekly(suzuki, start=time(9, 0), end=time(12, 0))  # at the counter, but not yet qualified
    day = booking_day()
    staffing.slots_sync_all()
    assert not Slot.objects.filter(day=day, places__gt=0).exists()

    log_in(desk, live_server, "bob", device)
    desk.get_by_role("link", name="勤務表・担当資格").click()
    desk.get_by_role("heading", name="勤務表").wait_for()
    assert axe_violations(desk) == []
    desk.get_by_role("link", name="担当資格", exact=True).click()
    desk.get_by_label(f"鈴木 次郎：{procedure.name}").check()
    desk.get_by_role("button", name="鈴木 次郎さんの担当資格を保存").click()
    desk.get_by_text("鈴木 次郎さんの担当資格を保存しました").wait_for()
    assert Qualification.objects.filter(user=suzuki, procedure=procedure).exists()

    # Morning only on the booking day's weekday; that weekday's afternoon stays without a clerk.
    desk.goto(f"{live_server.url}/staff/rota/")
    form = desk.locator("form").filter(has=desk.get_by_role("button", name="保存する"))
    form.get_by_label("職員").select_option(label="鈴木 次郎")
    form.get_by_label(WEEKDAY_NAMES[day.weekday()], exact=True).check()
    form.get_by_label("開始").fill("09:00")
    form.get_by_label("終了").fill("11:00")
    form.get_by_role("button", name="保存する").click()
    desk.get_by_text("鈴木 次郎さんの毎週の勤務を保存しました").wait_for()
    places = dict(Slot.objects.filter(day=day).values_list("start", "places"))
    assert places[time(9, 0)] == 1 and places[time(10, 30)] == 1
    assert places[time(11, 0)] == 0 and places[time(13, 0)] == 0

    phone.goto(f"{live_server.url}/book/p/{procedure.slug}/{day.isoformat()}/")
    phone.get_by_role("heading", name="時間を選んでください").wait_for()
    assert phone.get_by_role("button", name="10:00〜10:30").is_visible()
    assert phone.get_by_role("button", name="13:00〜13:30").count() == 0
    assert phone.get_by_role("button", name="11:00〜11:30").count() == 0


def book_online(page, live_server, procedure, day, at: str, *, email: str = "") -> Reservation:
    page.goto(f"{live_server.url}/book/p/{procedure.slug}/{day.isoformat()}/")
    page.get_by_role("button", name=at).click()
    for box in page.get_by_role("checkbox").all():
        box.check()
    page.get_by_role("button", name="次へ").click()
    page.get_by_label(re.compile(r"^姓")).fill("田中")
    page.get_by_label(re.compile(r"^名")).fill("陽子")
    page.get_by_label("セイ（フリガナ）").fill("たなか")
    page.get_by_label("メイ（フリガナ）").fill("ようこ")
    page.get_by_label("電話番号").fill(f"090-1234-{Reservation.objects.count():04d}")
    if email:
        page.get_by_label("メールアドレス").fill(email)
    page.get_by_role("button", name="確認画面へ").click()
    page.get_by_role("button", name="この内容で予約する").click()
    page.get_by_role("heading", name="予約が完了しました").wait_for()
    return Reservation.objects.order_by("-id").first()


def test_a_booking_gets_a_clerk_and_an_absence_moves_it_or_lists_it(live_server, desk, phone) -> None:
    procedure = factories.procedure()
    _bob, device = supervisor()
    sato = factories.clerk("sato", family_name="佐藤", given_name="花子")
    ito = factories.clerk("ito", family_name="伊藤", given_name="健")
    factories.weekly(sato)
    factories.weekly(ito)
    staffing.slots_sync_all()
    day = booking_day()

    first = book_online(phone, live_server, procedure, day, "10:00〜10:30")
    assert first.clerk in (sato, ito)
    log_in(desk, live_server, "bob", device)
    desk.goto(f"{live_server.url}/staff/day/{day.isoformat()}/")
    row = desk.get_by_role("row").filter(has_text=first.display_number)
    holder = "佐藤 花子" if first.clerk == sato else "伊藤 健"
    other = "伊藤 健" if first.clerk == sato else "佐藤 花子"
    assert holder in row.inner_text()

    def absence(name: str) -> None:
        desk.goto(f"{live_server.url}/staff/rota/")
        form = desk.locator("form").filter(has=desk.get_by_role("button", name="登録する"))
        form.get_by_label("職員").select_option(label=name)
        form.get_by_label("日付").fill(day.isoformat())
        form.get_by_label("種別").select_option(label="休暇")
        form.get_by_role("button", name="登録する").click()
        desk.get_by_role("heading", name="影響を受けた予約").wait_for()

    absence(holder)
    moved = desk.get_by_role("row").filter(has_text=first.display_number).filter(has_text="別の担当者に移しました")
    assert moved.count() == 1
    first.refresh_from_db()
    assert staffing.staff_name(first.clerk) == other

    absence(other)
    assert desk.get_by_text("交代できる担当者がいません").is_visible()
    first.refresh_from_db()
    assert first.status == "booked"
    assert UnstaffedBooking.objects.filter(reservation=first, resolved_at__isnull=True).exists()
    slot = Slot.objects.get(pk=first.slot_id)
    assert (slot.places, slot.booked) == (1, 1)  # kept, and nobody else can take it

    desk.get_by_role("link", name="担当者が不在の予約").first.click()
    listing = desk.get_by_role("row").filter(has_text=first.display_number).first
    listing.get_by_role("button", name="電話で案内した").click()
    desk.get_by_text("電話でご案内したことを記録しました").wait_for()
    assert list(RotaLog.objects.filter(reservation=first).order_by("at", "id").values_list("action", flat=True)) == [
        "assigned",
        "reassigned",
        "unstaffed",
        "offered",
    ]


def test_a_newly_qualified_clerk_serves_an_appointment_following_the_guide(live_server, desk) -> None:
    from reservations.booking import Contact, reservation_book

    procedure = factories.procedure()
    newcomer = factories.clerk("suzuki", family_name="鈴木", given_name="次郎")
    factories.weekly(newcomer)
    staffing.slots_sync_all()
    day = calendar.next_office_day(timezone.localdate())
    slot = Slot.objects.filter(day=day, places__gt=0).order_by("start").first()
    acks = list(procedure.acknowledgements.values_list("pk", flat=True))
    booking = reservation_book(
        procedure=procedure,
        slot_id=slot.pk,
        acknowledged=acks,
        channel="phone",
        user=newcomer,
        contact=Contact("高橋", "健", "タカハシ", "ケン", "06-1111-0002"),
    )
    assert booking.clerk == newcomer

    log_in(desk, live_server, "suzuki")
    desk.get_by_role("link", name="担当の予約").click()
    desk.get_by_role("row").filter(has_text=booking.display_number).get_by_role("link", name="対応する").click()
    desk.get_by_role("heading", name="窓口案内（第1版）").wait_for()
    assert axe_violations(desk) == []
    steps = desk.locator(".guide-form").get_by_role("checkbox")
    total = steps.count()
    assert total >= 5
    for index in range(total):
        steps.nth(index).check()
    desk.get_by_role("button", name="確認した項目を記録する").click()
    desk.get_by_text(f"確認した項目を記録しました（{total}項目）").wait_for()
    assert desk.get_by_text(f"確認した項目 {total}／{total}").is_visible()
    ticks = GuideTick.objects.filter(reservation=booking, done=True)
    assert ticks.count() == total and {t.guide.version for t in ticks} == {1}
    assert {t.by for t in ticks} == {newcomer}
