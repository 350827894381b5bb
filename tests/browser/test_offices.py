"""Several counters, tried as a supervisor would: a register with a 窓口 column, then a closure for one office."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.utils import timezone

from certificates import register_files
from certificates.models import Resident
from reservations import calendar
from reservations.models import CalendarDay, Office, ResidentOffice
from reservations.slots import slots_generate_all
from tests import factories
from tests.browser.conftest import axe_violations
from tests.browser.test_staff import log_in

pytestmark = pytest.mark.django_db(transaction=True)

HEADERS = ["ケース番号", "氏名", "氏名カナ", "生年月日", "郵便番号", "住所", "電話番号", "発行日", "窓口"]


def _row(case: str, name: str, kana: str, office: str) -> list[str]:
    return [case, name, kana, "1980/4/1", "530-0001", "大阪市北区梅田1-1", "06-1234-5678", "2026/8/1", office]


def _supervisor(desk, live_server) -> None:
    from django_otp.oath import totp
    from django_otp.plugins.otp_totp.models import TOTPDevice

    bob = factories.user("bob", "supervisor")
    device = TOTPDevice.objects.create(user=bob, name="phone", confirmed=True)
    log_in(desk, live_server, "bob")
    desk.get_by_label("確認コード（6桁）").fill(f"{totp(device.bin_key):06d}")
    desk.get_by_role("button", name="確認").click()
    desk.get_by_role("heading", name="予約一覧").wait_for()


def test_an_imported_office_shows_on_the_resident_and_a_closure_closes_only_that_offices_day(
    live_server, desk, client, tmp_path
) -> None:
    main = factories.procedure()
    Office.objects.filter(pk=main.office_id).update(name="本庁")
    branch, branch_procedure = factories.office_with_procedure("北支所", phone="06-2222-0000", slug="jr-pass-kita")
    factories.staffed(2, main)
    factories.staffed(2, branch_procedure)
    slots_generate_all()
    path = tmp_path / "台帳.csv"
    rows = [
        _row("B201", "北村 花子", "キタムラ ハナコ", "北支所"),
        _row("B202", "本田 一郎", "ホンダ イチロウ", "本庁"),
    ]
    path.write_bytes(register_files.write_csv(HEADERS, rows, encoding="cp932"))

    _supervisor(desk, live_server)
    desk.get_by_role("link", name="台帳の取り込み").click()
    desk.get_by_label("台帳のファイル").set_input_files(str(path))
    desk.get_by_role("button", name="読み込む").click()
    assert desk.get_by_label("9列目「窓口」").input_value() == "office"
    desk.get_by_role("button", name="試しに取り込む（ドライラン）").click()
    desk.get_by_role("heading", name="2. ドライランの結果（まだ何も変更していません）").wait_for()
    assert not ResidentOffice.objects.exists()
    desk.get_by_role("button", name="この内容で反映する").click()
    desk.get_by_text("反映しました。新規 2件").wait_for()

    resident = Resident.objects.get(case_number="B201")
    desk.goto(f"{live_server.url}/staff/residents/{resident.pk}/")
    section = desk.locator("h2", has_text="担当の窓口").locator("xpath=following-sibling::p[1]")
    assert section.inner_text().startswith("北支所（06-2222-0000）")
    assert desk.get_by_label("窓口を変える").input_value() == str(branch.pk)
    assert axe_violations(desk) == []

    # A closure for the branch only, two office days ahead (inside the booking window whatever today is).
    day = calendar.next_office_day(calendar.next_office_day(timezone.localdate()) + timedelta(days=1))
    desk.get_by_role("link", name="開庁日・定員").click()
    form = desk.locator("form", has=desk.locator("input[name=action][value=day]"))
    form.get_by_label("日付").fill(day.isoformat())
    form.get_by_label("窓口").select_option(label="北支所")
    form.get_by_label("種別").select_option(label="休業")
    form.get_by_label("メモ").fill("北支所 設備点検")
    form.get_by_role("button", name="追加").click()
    desk.get_by_text("保存し、予約枠を作り直しました").wait_for()
    assert desk.get_by_role("row").filter(has_text="北支所 設備点検").inner_text().split("\t")[:3] == [
        f"{day.year}年{day.month}月{day.day}日（{'月火水木金土日'[day.weekday()]}）",
        "北支所",
        "休業",
    ]
    assert axe_violations(desk) == []
    assert CalendarDay.objects.get().office == branch

    # The branch's calendar shows the day closed; the main office's is open for booking that day.
    month = f"?month={day:%Y-%m}"
    desk.goto(f"{live_server.url}/book/p/jr-pass-kita/{month}")
    closed = desk.locator("td.closed > span").filter(has_text=re.compile(rf"^\s*{day.day}\s*休み\s*$"))
    assert closed.count() == 1
    assert desk.locator(f'a[href="/book/p/jr-pass-kita/{day.isoformat()}/"]').count() == 0
    assert axe_violations(desk) == []
    desk.goto(f"{live_server.url}/book/p/{main.slug}/{month}")
    desk.locator(f'a[href="/book/p/{main.slug}/{day.isoformat()}/"]').click()
    desk.get_by_role("heading", name="時間を選んでください").wait_for()
