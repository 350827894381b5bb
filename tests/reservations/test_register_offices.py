"""The register's 窓口 column: an import assigns each resident's office, an export writes it."""

from __future__ import annotations

import io

import pytest
from django.core.management import call_command

from certificates import register
from certificates.models import AccessLog, Resident
from reservations.models import Office, ResidentOffice
from tests import factories
from tests.certificates.test_register import csv_bytes, run_import

pytestmark = pytest.mark.django_db

HEADERS = [*register.COLUMNS.values(), "窓口"]


def person(case: str, name: str, kana: str, office: str) -> list[str]:
    return [
        case,
        name,
        kana,
        "1980/4/1",
        "530-0001",
        "大阪市北区梅田1-1",
        "",
        "06-1234-5678",
        "",
        "2026/8/1",
        "",
        "",
        office,
    ]


@pytest.fixture
def offices(frozen):
    main = factories.procedure().office
    Office.objects.filter(pk=main.pk).update(name="本庁")
    branch, _procedure = factories.office_with_procedure("北支所", phone="06-2222-0000", slug="jr-pass-kita")
    return Office.objects.get(pk=main.pk), branch


def office_of(case: str) -> str:
    link = ResidentOffice.objects.filter(resident__case_number=case).select_related("office").first()
    return link.office.name if link else ""


def test_the_office_column_maps_itself_and_assigns_each_residents_office(offices, alice) -> None:
    rows = [
        HEADERS,
        person("K0001", "山田 花子", "ヤマダ ハナコ", "本庁"),
        person("K0002", "佐藤 一郎", "サトウ イチロウ", "北 支所"),
        person("K0003", "鈴木 次郎", "スズキ ジロウ", ""),
    ]
    run = register.register_import_start(content=csv_bytes(rows), filename="r.csv", user=alice)
    assert run.mapping["fields"][-1] == "office"
    run = register.register_import_check(run=run, fields=run.mapping["fields"])
    assert (run.created, run.errors) == (3, 0)
    assert not ResidentOffice.objects.exists()  # a dry run changes nothing

    register.register_import_apply(run=run, user=alice)
    assert (office_of("K0001"), office_of("K0002"), office_of("K0003")) == ("本庁", "北支所", "")

    again = run_import(csv_bytes(rows), alice)
    assert (again.created, again.updated, again.unchanged, again.errors) == (0, 0, 3, 0), again.report


def test_an_unknown_office_is_that_rows_error_in_japanese_and_nothing_of_it_is_taken(offices, alice) -> None:
    rows = [
        HEADERS,
        person("K0001", "山田 花子", "ヤマダ ハナコ", "南支所"),
        person("K0002", "佐藤 一郎", "サトウ イチロウ", "北支所"),
    ]
    run = run_import(csv_bytes(rows), alice)
    (error,) = [r for r in run.report if r["outcome"] == "error"]
    assert error["row"] == 2
    assert error["reasons"] == ["窓口：「南支所」という窓口は登録されていません。登録されている窓口：本庁、北支所"]
    assert not Resident.objects.filter(case_number="K0001").exists()
    assert office_of("K0002") == "北支所"


def test_moving_a_known_resident_to_another_office_is_an_update_and_is_logged(offices, alice) -> None:
    run_import(csv_bytes([HEADERS, person("K0001", "山田 花子", "ヤマダ ハナコ", "本庁")]), alice)
    run = run_import(csv_bytes([HEADERS, person("K0001", "山田 花子", "ヤマダ ハナコ", "北支所")]), alice)
    assert (run.updated, run.unchanged) == (1, 0)
    assert run.report[0]["reasons"] == ["窓口を「北支所」にします。"]
    assert office_of("K0001") == "北支所"
    resident = Resident.objects.get(case_number="K0001")
    assert AccessLog.objects.filter(resident=resident, action="update", detail__startswith="台帳の取り込み").exists()


def test_two_rows_of_one_resident_naming_different_offices_are_refused(offices, alice) -> None:
    rows = [
        HEADERS,
        person("K0001", "山田 花子", "ヤマダ ハナコ", "本庁"),
        person("K0001", "山田 花子", "ヤマダ ハナコ", "北支所"),
    ]
    run = run_import(csv_bytes(rows), alice, apply=False)
    assert run.report[1]["reasons"] == ["2行目と同じケース番号ですが、市民の内容が違います。"]


def test_the_export_writes_each_residents_office_and_imports_back_unchanged(offices, alice, tmp_path) -> None:
    rows = [
        HEADERS,
        person("K0001", "山田 花子", "ヤマダ ハナコ", "北支所"),
        person("K0002", "佐藤 一郎", "サトウ イチロウ", ""),
    ]
    run_import(csv_bytes(rows), alice)
    content = register.register_export(fmt="csv", user=alice)
    lines = content.decode("utf-8-sig").splitlines()
    assert lines[0].endswith(",区間,窓口")
    assert lines[1].startswith("K0001,") and lines[1].endswith(",北支所")
    # Without an office of their own, a resident belongs to the main office.
    assert lines[2].startswith("K0002,") and lines[2].endswith(",本庁")
    for fmt in ("csv", "xlsx"):
        back = run_import(register.register_export(fmt=fmt, user=alice), alice, filename=f"export.{fmt}")
        assert (back.created, back.updated, back.errors, back.unchanged) == (0, 0, 0, 2), back.report
    exported = tmp_path / "export.csv"
    call_command("export_register", str(exported), stdout=io.StringIO())
    out = io.StringIO()
    call_command("import_register", str(exported), "--dry-run", stdout=out)
    assert "新規 0　更新 0" in out.getvalue()
