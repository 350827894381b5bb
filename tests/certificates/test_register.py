from __future__ import annotations

import io
from datetime import date

import openpyxl
import pytest
from django.core.exceptions import ValidationError
from django.core.management import call_command

from certificates import jp, register, register_files
from certificates.models import AccessLog, Certificate, RegisterColumn, RegisterImport, Resident
from tests import factories

HEADERS = list(register.COLUMNS.values())

# A register as offices keep them: 和暦 and Western dates, full-width digits, half-width kana, one bad row.
MIXED = [
    HEADERS,
    [
        "Ｋ０００１",
        "山田　花子",
        "ﾔﾏﾀﾞ ﾊﾅｺ",
        "昭和55年4月1日",
        "５３０－０００１",
        "大阪市北区梅田1-1",
        "梅田ハイツ101",
        "０６－１２３４－５６７８",
        "特定者用定期乗車券購入証明書",
        "令和8年7月10日",
        "",
        "大阪〜京都",
    ],
    [
        "K0002",
        "佐藤 一郎",
        "さとう いちろう",
        "H2.12.24",
        "5300002",
        "大阪市北区曽根崎2-2",
        "",
        "090-1111-2222",
        "",
        "R8.8.31",
        "2027/2/28",
        "梅田〜三ノ宮",
    ],
    [
        "K0002",
        "佐藤 一郎",
        "サトウ イチロウ",
        "1990/12/24",
        "530-0002",
        "大阪市北区曽根崎2-2",
        "",
        "090-1111-2222",
        "特定者資格証明書",
        "2026-01-07",
        "",
        "",
    ],
    [
        "K0003",
        "鈴木 次郎",
        "スズキ ジロウ",
        "H31.5.1",
        "530-0003",
        "大阪市北区3-3",
        "",
        "06-0000-0003",
        "",
        "2026/8/1",
        "",
        "",
    ],
    [
        "K0004",
        "田中 三郎",
        "タナカ サブロウ",
        "1970-01-01",
        "530-0004",
        "大阪市北区4-4",
        "",
        "06-0000-0004",
        "",
        "2026/8/1",
        "2026/12/31",
        "",
    ],
    ["", "名無し", "", "", "", "", "", "", "", "", "", ""],
]


def csv_bytes(rows: list[list[str]], encoding: str = "utf-8") -> bytes:
    return register_files.write_csv(rows[0], rows[1:], encoding=encoding)


def run_import(content: bytes, user=None, *, filename: str = "register.csv", apply: bool = True, **options):
    run = register.register_import_start(content=content, filename=filename, user=user)
    run = register.register_import_check(run=run, fields=run.mapping["fields"], **options)
    if apply:
        run = register.register_import_apply(run=run, user=user)
    return run


def outcomes(run: RegisterImport) -> dict[int, str]:
    return {row["row"]: row["outcome"] for row in run.report}


def reasons(run: RegisterImport, row: int) -> str:
    return " ".join(next(r["reasons"] for r in run.report if r["row"] == row))


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("2026/1/7", date(2026, 1, 7)),
        ("2026-01-07", date(2026, 1, 7)),
        ("2026年1月7日", date(2026, 1, 7)),
        ("20260107", date(2026, 1, 7)),
        ("令和8年1月7日", date(2026, 1, 7)),
        ("令和8年(2026年)1月7日", date(2026, 1, 7)),
        ("R8.1.7", date(2026, 1, 7)),
        ("ｒ８．１．７", date(2026, 1, 7)),
        ("Ｒ８．１．７", date(2026, 1, 7)),
        ("H31.4.30", date(2019, 4, 30)),
        ("令和元年5月1日", date(2019, 5, 1)),
        ("平成元年1月8日", date(1989, 1, 8)),
        ("昭和64年1月7日", date(1989, 1, 7)),
        ("S50.3.1", date(1975, 3, 1)),
        ("昭和５０年３月１日", date(1975, 3, 1)),
    ],
)
def test_it_reads_the_dates_offices_write(raw: str, expected: date) -> None:
    assert jp.parse_date(raw) == expected


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        ("H31.5.1", "平成の期間にない"),
        ("平成元年1月7日", "平成の期間にない"),
        ("R0.1.1", "令和の期間にない"),
        ("2026/2/30", "存在しない日付"),
        ("来週", "日付として読めません"),
        ("", "空欄"),
    ],
)
def test_it_refuses_dates_that_do_not_exist_with_a_reason_in_japanese(raw: str, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        jp.parse_date(raw)


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "cp932", "utf-16"])
def test_it_detects_the_encoding_of_a_csv(encoding: str) -> None:
    table = register_files.read_table(csv_bytes(MIXED, encoding), "x.csv")
    assert table.headers == HEADERS
    number, cells = table.rows[0]
    # Windows writes 〜 (wave dash) as ～ (full-width tilde) in Shift_JIS; both separate a route.
    assert (number, cells[:-1], cells[-1].replace("～", "〜")) == (2, MIXED[1][:-1], MIXED[1][-1])
    assert (
        table.encoding == {"utf-8": "UTF-8", "utf-8-sig": "UTF-8", "cp932": "Shift_JIS", "utf-16": "UTF-16"}[encoding]
    )


def test_it_refuses_an_old_excel_file_and_an_empty_one_with_a_message() -> None:
    with pytest.raises(ValidationError, match=r"\.xls"):
        register_files.read_table(b"\xd0\xcf\x11\xe0" + b"\0" * 100, "old.xls")
    with pytest.raises(ValidationError, match="空"):
        register_files.read_table(b"", "x.csv")
    with pytest.raises(ValidationError, match="文字コード"):
        register_files.read_table(b"\x82\xa0\x81\x7f", "x.csv")


@pytest.mark.django_db
def test_the_default_headings_map_themselves_and_others_are_left_out() -> None:
    assert register.suggest_mapping([*HEADERS, "備考"]) == [*register.COLUMNS, ""]
    assert register.suggest_mapping(["ケース番号", "フリガナ", "交付日"]) == ["case_number", "kana", "issued_on"]


@pytest.mark.django_db
def test_the_mapping_chosen_on_screen_is_remembered_for_the_next_import(frozen) -> None:
    content = csv_bytes([["番号", "名前", "よみ"], ["K1", "山田 花子", "やまだ はなこ"]])
    run = register.register_import_start(content=content, filename="a.csv", user=None)
    assert run.mapping["fields"] == ["", "", ""]
    register.register_import_check(run=run, fields=["case_number", "name", "kana"])
    assert RegisterColumn.objects.get(header="よみ").field == "kana"
    again = register.register_import_start(content=content, filename="a.csv", user=None)
    assert again.mapping["fields"] == ["case_number", "name", "kana"]


@pytest.mark.django_db
def test_a_mapping_without_case_number_or_with_a_field_twice_is_refused(frozen) -> None:
    run = register.register_import_start(content=csv_bytes(MIXED), filename="a.csv", user=None)
    with pytest.raises(ValidationError, match="ケース番号"):
        register.register_import_check(run=run, fields=["", *run.mapping["fields"][1:]])
    with pytest.raises(ValidationError, match="氏名"):
        register.register_import_check(run=run, fields=["case_number", "name", "name", *run.mapping["fields"][3:]])
    run.refresh_from_db()
    assert run.status == "uploaded"


@pytest.mark.django_db
def test_a_dry_run_reports_each_row_and_changes_nothing(frozen, alice) -> None:
    run = run_import(csv_bytes(MIXED, "cp932"), alice, apply=False)
    assert (Resident.objects.count(), Certificate.objects.count()) == (0, 0)
    assert outcomes(run) == {2: "created", 3: "created", 4: "created", 5: "error", 6: "error", 7: "error"}
    assert (run.created, run.updated, run.unchanged, run.errors, run.status) == (3, 0, 0, 3, "checked")
    assert "平成の期間にない" in reasons(run, 5)
    assert "有効期限がファイルでは 2026/12/31、規則による計算では 2027/2/1 です" in reasons(run, 6)
    assert "ケース番号が空欄" in reasons(run, 7)


@pytest.mark.django_db
def test_applying_writes_what_the_dry_run_showed_and_logs_the_run(frozen, alice) -> None:
    content = csv_bytes(MIXED, "cp932")
    run = run_import(content, alice)
    assert (run.status, run.created, run.errors, run.content) == ("applied", 3, 3, b"")
    assert run.sha256 == __import__("hashlib").sha256(content).hexdigest()
    assert (run.user, run.actor) == (alice, "alice")
    hanako = Resident.objects.get(case_number="K0001")
    assert (hanako.family_name, hanako.given_name, hanako.family_name_kana, hanako.given_name_kana) == (
        "山田",
        "花子",
        "ヤマダ",
        "ハナコ",
    )
    assert (hanako.birth_date, hanako.postal_code, hanako.phone, hanako.address_building) == (
        date(1980, 4, 1),
        "530-0001",
        "06-1234-5678",
        "梅田ハイツ101",
    )
    certificate = hanako.certificates.get()
    assert (certificate.issued_on, certificate.expires_on, certificate.route_from, certificate.route_to) == (
        date(2026, 7, 10),
        date(2027, 1, 10),
        "大阪",
        "京都",
    )
    assert certificate.number == f"T2026-{certificate.pk:06d}"
    ichiro = Resident.objects.get(case_number="K0002")
    assert sorted(c.kind.name for c in ichiro.certificates.all()) == [
        "特定者用定期乗車券購入証明書",
        "特定者資格証明書",
    ]
    assert not Resident.objects.filter(case_number__in=["K0003", "K0004"]).exists()
    assert AccessLog.objects.filter(action="create", detail=f"台帳の取り込み #{run.pk}").count() == 2


@pytest.mark.django_db
def test_the_same_file_twice_changes_nothing_the_second_time(frozen, alice) -> None:
    content = csv_bytes(MIXED)
    run_import(content, alice)
    before = list(Resident.objects.values()), list(Certificate.objects.values())
    second = run_import(content, alice)
    assert (second.created, second.updated, second.unchanged, second.errors) == (0, 0, 3, 3)
    assert reasons(second, 2) == "登録済みの内容と同じです。変更はありません。"
    assert (list(Resident.objects.values()), list(Certificate.objects.values())) == before


@pytest.mark.django_db
def test_a_changed_row_updates_the_resident_and_says_which_fields(frozen, alice) -> None:
    run_import(csv_bytes(MIXED), alice)
    moved = [row[:] for row in MIXED]
    moved[1][5], moved[1][7] = "大阪市北区梅田9-9", "06-9999-0000"
    run = run_import(csv_bytes(moved), alice)
    assert outcomes(run)[2] == "updated"
    assert reasons(run, 2) == "市民の登録内容を変更します：住所、電話番号"
    hanako = Resident.objects.get(case_number="K0001")
    assert (hanako.address, hanako.phone_digits) == ("大阪市北区梅田9-9", "0699990000")


@pytest.mark.django_db
def test_a_different_expiry_is_imported_with_the_computed_date_only_when_the_office_says_so(frozen, alice) -> None:
    run = run_import(csv_bytes(MIXED), alice, accept_computed_expiry=True)
    assert outcomes(run)[6] == "created"
    assert "計算した日で登録します" in reasons(run, 6)
    assert Resident.objects.get(case_number="K0004").certificates.get().expires_on == date(2027, 2, 1)


@pytest.mark.django_db
def test_rows_of_one_case_number_that_disagree_are_skipped(frozen) -> None:
    rows = [HEADERS, MIXED[1], [*MIXED[1][:5], "別の住所", *MIXED[1][6:9], "2026/9/1", "", ""]]
    run = run_import(csv_bytes(rows), apply=False)
    assert outcomes(run) == {2: "created", 3: "error"}
    assert "2行目と同じケース番号ですが、市民の内容が違います" in reasons(run, 3)


@pytest.mark.django_db
def test_an_applied_run_cannot_be_applied_again(frozen, alice) -> None:
    run = run_import(csv_bytes(MIXED), alice)
    with pytest.raises(ValidationError, match="すでに反映"):
        register.register_import_apply(run=run, user=alice)
    assert Certificate.objects.count() == 3


@pytest.mark.django_db
def test_export_then_import_is_a_round_trip(frozen, alice) -> None:
    run_import(csv_bytes(MIXED), alice)
    resident = factories.resident(case_number="K0100", address_building="")  # no certificate yet
    for fmt in ("csv", "xlsx"):
        content = register.register_export(fmt=fmt, user=alice)
        run = run_import(content, alice, filename=f"export.{fmt}")
        assert (run.created, run.updated, run.errors, run.unchanged) == (0, 0, 0, 4), run.report
    assert AccessLog.objects.filter(action="export").count() == 2
    assert Resident.objects.filter(pk=resident.pk).exists()


@pytest.mark.django_db
def test_an_excel_workbook_is_read_from_the_chosen_sheet_with_numbers_and_dates_as_excel_keeps_them(
    frozen, alice
) -> None:
    workbook = openpyxl.Workbook()
    workbook.active.title = "表紙"
    sheet = workbook.create_sheet("台帳")
    sheet.append(HEADERS)
    # Excel drops leading zeros of numbers and stores dates as dates.
    sheet.append(
        [
            1234,
            "高橋 花",
            "タカハシ ハナ",
            date(1985, 6, 1),
            600001,
            "札幌市",
            None,
            9011112222,
            None,
            date(2026, 9, 1),
            None,
            None,
        ]
    )
    out = io.BytesIO()
    workbook.save(out)
    with pytest.raises(ValidationError, match="シート「名簿」がありません"):
        register.register_import_start(content=out.getvalue(), filename="r.xlsx", user=alice, sheet="名簿")
    run = register.register_import_start(content=out.getvalue(), filename="r.xlsx", user=alice, sheet="台帳")
    register.register_import_check(run=run, fields=run.mapping["fields"])
    register.register_import_apply(run=run, user=alice)
    resident = Resident.objects.get(case_number="1234")
    assert (resident.postal_code, resident.phone, resident.birth_date) == ("060-0001", "09011112222", date(1985, 6, 1))


@pytest.mark.django_db
def test_the_command_prints_the_counts_and_a_dry_run_changes_nothing(frozen, tmp_path) -> None:
    path = tmp_path / "register.csv"
    path.write_bytes(csv_bytes(MIXED, "cp932"))
    out = io.StringIO()
    call_command("import_register", str(path), "--dry-run", stdout=out)
    assert "新規 3　更新 0　スキップ 3（変更なし 0、エラー 3）　ドライラン（変更していません）" in out.getvalue()
    assert "5行目 K0003 エラー" in out.getvalue()
    assert Resident.objects.count() == 0
    out = io.StringIO()
    call_command("import_register", str(path), stdout=out)
    assert "新規 3" in out.getvalue() and "反映しました" in out.getvalue()
    assert Resident.objects.count() == 2
    assert RegisterImport.objects.filter(actor__startswith="manage.py import_register").count() == 2


@pytest.mark.django_db
def test_the_export_command_writes_shift_jis_that_imports_back(frozen, tmp_path) -> None:
    path = tmp_path / "register.csv"
    path.write_bytes(csv_bytes(MIXED))
    call_command("import_register", str(path), stdout=io.StringIO())
    exported = tmp_path / "export.csv"
    call_command("export_register", str(exported), "--shift-jis", stdout=io.StringIO())
    assert exported.read_bytes().decode("cp932").startswith("ケース番号,氏名")
    out = io.StringIO()
    call_command("import_register", str(exported), stdout=out)
    assert "新規 0　更新 0　スキップ 3（変更なし 3、エラー 0）" in out.getvalue()


@pytest.mark.django_db
def test_the_file_read_for_a_run_is_not_kept_in_memory_once_applied(frozen, alice) -> None:
    run = register.register_import_start(content=csv_bytes(MIXED), filename="register.csv", user=alice)
    assert register._last_read is not None  # the dry run and the apply read the cells once
    run = register.register_import_check(run=run, fields=run.mapping["fields"])
    register.register_import_apply(run=run, user=alice)
    assert register._last_read is None
