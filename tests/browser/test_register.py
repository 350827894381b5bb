from __future__ import annotations

import pytest

from certificates import register_files
from certificates.models import Certificate, RegisterImport, Resident
from tests import factories
from tests.browser.conftest import axe_violations
from tests.browser.test_staff import log_in

pytestmark = pytest.mark.django_db(transaction=True)

# The office's own headings: most map themselves, 「電話」 is an alias, 「連絡メモ」 is left out, 「よみ」 is chosen.
HEADERS = [
    "ケース番号",
    "氏名",
    "よみ",
    "生年月日",
    "郵便番号",
    "住所",
    "方書",
    "電話",
    "発行日",
    "有効期限",
    "連絡メモ",
]
ROWS = [
    [
        "Ａ１０１",
        "山田　花子",
        "ﾔﾏﾀﾞ ﾊﾅｺ",
        "昭和55年4月1日",
        "５３０－０００１",
        "大阪市北区梅田1-1",
        "梅田ハイツ101",
        "06-1234-5678",
        "R7.6.2",
        "",
        "午前希望",
    ],
    [
        "A102",
        "佐藤 一郎",
        "さとう いちろう",
        "H2.12.24",
        "5300002",
        "大阪市北区曽根崎2-2",
        "",
        "090-1111-2222",
        "2025/8/31",
        "2026/2/28",
        "",
    ],
    [
        "A103",
        "鈴木 次郎",
        "スズキ ジロウ",
        "H31.5.1",
        "530-0003",
        "大阪市北区3-3",
        "",
        "06-0000-0003",
        "2025/8/1",
        "",
        "",
    ],
]


def test_a_supervisor_imports_a_shift_jis_register_dry_run_first_then_again_without_change(
    live_server, desk, tmp_path
) -> None:
    from django_otp.oath import totp
    from django_otp.plugins.otp_totp.models import TOTPDevice

    bob = factories.user("bob", "supervisor")
    factories.letter_kind()
    device = TOTPDevice.objects.create(user=bob, name="phone", confirmed=True)
    path = tmp_path / "台帳.csv"
    path.write_bytes(register_files.write_csv(HEADERS, ROWS, encoding="cp932"))

    log_in(desk, live_server, "bob")
    desk.get_by_label("確認コード（6桁）").fill(f"{totp(device.bin_key):06d}")
    desk.get_by_role("button", name="確認").click()
    desk.get_by_role("heading", name="予約一覧").wait_for()
    desk.get_by_role("link", name="台帳の取り込み").click()
    desk.get_by_role("heading", name="台帳の取り込み・出力").wait_for()
    assert axe_violations(desk) == []
    desk.get_by_label("台帳のファイル").set_input_files(str(path))
    desk.get_by_role("button", name="読み込む").click()

    desk.get_by_role("heading", name="1. 列の対応").wait_for()
    assert "Shift_JIS" in desk.content()
    assert desk.get_by_label("8列目「電話」").input_value() == "phone"
    assert desk.get_by_label("11列目「連絡メモ」").input_value() == ""
    desk.get_by_label("3列目「よみ」").select_option(label="氏名カナ")
    assert axe_violations(desk) == []
    desk.get_by_role("button", name="試しに取り込む（ドライラン）").click()

    desk.get_by_role("heading", name="2. ドライランの結果（まだ何も変更していません）").wait_for()
    assert axe_violations(desk) == []
    row = desk.get_by_role("row").filter(has_text="A103")
    assert "エラー" in row.inner_text() and "平成の期間にない日付です" in row.inner_text()
    assert Resident.objects.count() == 0
    desk.get_by_role("button", name="この内容で反映する").click()
    desk.get_by_text("反映しました。新規 2件、更新 0件、スキップ 1件").wait_for()
    assert Resident.objects.get(case_number="A101").address_building == "梅田ハイツ101"
    assert Certificate.objects.count() == 2

    # The same file again: the mapping is remembered, and nothing changes.
    desk.get_by_role("link", name="台帳の取り込み・出力に戻る").click()
    desk.get_by_label("台帳のファイル").set_input_files(str(path))
    desk.get_by_role("button", name="読み込む").click()
    assert desk.get_by_label("3列目「よみ」").input_value() == "kana"
    desk.get_by_role("button", name="試しに取り込む（ドライラン）").click()
    desk.get_by_role("button", name="この内容で反映する").click()
    desk.get_by_text("反映しました。新規 0件、更新 0件、スキップ 3件（変更なし 2件、エラー 1件）").wait_for()
    assert list(RegisterImport.objects.values_list("status", flat=True)) == ["applied", "applied"]
    assert Certificate.objects.count() == 2
