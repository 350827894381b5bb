from __future__ import annotations

import io

import openpyxl
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from certificates.models import AccessLog, Certificate, RegisterColumn, RegisterImport, Resident
from tests.certificates.test_register import MIXED, csv_bytes

pytestmark = pytest.mark.django_db


def upload(client, content: bytes, name: str = "register.csv", sheet: str = ""):
    return client.post("/staff/register/", {"file": SimpleUploadedFile(name, content), "sheet": sheet})


def mapping_post(run: RegisterImport, **extra) -> dict[str, str]:
    return {f"col_{i}": field for i, field in enumerate(run.mapping["fields"])} | extra


def test_clerks_cannot_reach_the_import(clerk_client) -> None:
    assert clerk_client.get("/staff/register/").status_code == 403


def test_a_supervisor_uploads_checks_and_applies_a_shift_jis_register(supervisor_client, frozen, bob) -> None:
    response = upload(supervisor_client, csv_bytes(MIXED, "cp932"))
    run = RegisterImport.objects.get()
    assert response["Location"] == f"/staff/register/{run.pk}/"
    page = supervisor_client.get(f"/staff/register/{run.pk}/").content.decode()
    assert "1列目「ケース番号」" in page and "Shift_JIS" in page
    response = supervisor_client.post(f"/staff/register/{run.pk}/", mapping_post(run))
    assert response.status_code == 302
    page = supervisor_client.get(f"/staff/register/{run.pk}/").content.decode()
    assert "ドライランの結果（まだ何も変更していません）" in page
    assert "平成の期間にない日付です" in page
    assert Resident.objects.count() == 0
    supervisor_client.post(f"/staff/register/{run.pk}/apply/")
    assert (Resident.objects.count(), Certificate.objects.count()) == (2, 3)
    page = supervisor_client.get(f"/staff/register/{run.pk}/").content.decode()
    assert "反映しました。新規 3件、更新 0件、スキップ 3件" in page
    # The second click (or the back button) changes nothing.
    supervisor_client.post(f"/staff/register/{run.pk}/apply/")
    assert Certificate.objects.count() == 3
    assert "この取り込みはすでに反映しました" in supervisor_client.get(f"/staff/register/{run.pk}/").content.decode()
    run.refresh_from_db()
    assert (run.user, run.status) == (bob, "applied")


def test_a_bad_mapping_is_explained_and_nothing_runs(supervisor_client, frozen) -> None:
    upload(supervisor_client, csv_bytes(MIXED))
    run = RegisterImport.objects.get()
    response = supervisor_client.post(f"/staff/register/{run.pk}/", mapping_post(run, col_0="", col_2="name"))
    page = response.content.decode()
    assert response.status_code == 200
    assert "同じ項目が2つ以上の列に割り当てられています：氏名" in page
    run.refresh_from_db()
    assert run.status == "uploaded"
    assert not RegisterColumn.objects.exists()


def test_an_unreadable_file_is_refused_with_a_message(supervisor_client) -> None:
    response = upload(supervisor_client, b"\xd0\xcf\x11\xe0" + b"\0" * 64, "old.xls")
    assert "Excel 97-2003 形式（.xls）は読み込めません" in response.content.decode()
    assert not RegisterImport.objects.exists()


def test_an_excel_sheet_can_be_chosen(supervisor_client, frozen) -> None:
    workbook = openpyxl.Workbook()
    sheet = workbook.create_sheet("台帳")
    for row in MIXED:
        sheet.append(row)
    out = io.BytesIO()
    workbook.save(out)
    response = upload(supervisor_client, out.getvalue(), "register.xlsx", sheet="名簿")
    assert "シート「名簿」がありません" in response.content.decode()
    upload(supervisor_client, out.getvalue(), "register.xlsx", sheet="台帳")
    assert RegisterImport.objects.get().rows == 6


def test_the_export_downloads_the_register_and_is_logged(supervisor_client, frozen, bob) -> None:
    upload(supervisor_client, csv_bytes(MIXED))
    run = RegisterImport.objects.get()
    supervisor_client.post(f"/staff/register/{run.pk}/", mapping_post(run))
    supervisor_client.post(f"/staff/register/{run.pk}/apply/")
    response = supervisor_client.post("/staff/register/export/", {"format": "sjis"})
    assert response["Content-Type"] == "text/csv; charset=shift_jis"
    assert response["Cache-Control"] == "no-store"
    # The register's columns, then the resident's office (kept by the reservations app).
    assert response.content.decode("cp932").splitlines()[0] == ",".join([*MIXED[0], "窓口"])
    assert AccessLog.objects.filter(user=bob, action="export").exists()
