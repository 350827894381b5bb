from __future__ import annotations

import csv
import io
from datetime import date

import pytest
from pypdf import PdfReader

from notices.models import Complaint, ComplaintCategory
from tests import factories
from tests.notices import evidence_fixture as fx


@pytest.fixture
def office(alice):
    factories.ensure_defaults()
    return fx.build(alice)


def _csv(response) -> list[list[str]]:
    body = response.content.decode("utf-8")
    assert body.startswith("\ufeff")
    return list(csv.reader(io.StringIO(body.lstrip("\ufeff"))))


def test_the_outcome_page_shows_each_chart_beside_its_table_without_script(supervisor_client, office) -> None:
    html = supervisor_client.get("/staff/notices/outcomes/?month=2026-10").content.decode()
    assert "<script" not in html
    assert html.count('role="img"') >= 9
    assert '<th scope="row">予約</th><td>4</td><td>50.0%</td>' in html
    assert '<th scope="row">電話（予約コードなし）</th><td>1</td><td>25.0%</td>' in html
    assert '<th scope="row">予約</th><td>3</td><td>10.0</td><td>20.0</td><td>10.0</td><td>15.0</td>' in html
    assert '<th scope="row">予約が面倒</th><td>2</td>' in html
    # The chart states its figures in words for screen readers.
    assert "予約 4件" in html


def test_every_table_downloads_as_csv_with_the_same_figures(supervisor_client, office) -> None:
    letters = _csv(supervisor_client.get("/staff/notices/outcomes/?month=2026-10&table=letters"))
    assert letters[0] == ["項目", "件数", "発送に対する割合"]
    assert ["来庁", "3", "37.5%"] in letters
    walk_ins = _csv(supervisor_client.get("/staff/notices/outcomes/?month=2026-10&table=walk_ins"))
    assert walk_ins[-1] == ["計", "3", "2", "5"]
    before = _csv(supervisor_client.get("/staff/notices/outcomes/?month=2026-10&table=before_after"))
    assert ["2026年3月", "0", "1", "0.0%", "0", ""] in before
    times = _csv(supervisor_client.get("/staff/notices/outcomes/?month=2026-10&table=times"))
    assert times[2] == ["予約なし", "3", "30.0", "45.0", "15.0", "20.0"]
    comments = _csv(supervisor_client.get("/staff/notices/outcomes/?month=2026-10&table=survey_comments"))
    assert comments[1][2] == "分かりやすかった"
    assert supervisor_client.get("/staff/notices/outcomes/?month=2026-10&table=nope").status_code == 404


def test_a_month_that_cannot_be_read_is_explained_not_an_error(supervisor_client, db) -> None:
    response = supervisor_client.get("/staff/notices/outcomes/?month=2026-13", follow=True)
    assert "月は YYYY-MM の形で指定してください" in response.content.decode()


def test_the_monthly_report_is_one_pdf_page_with_the_figures(supervisor_client, office) -> None:
    response = supervisor_client.get("/staff/notices/outcomes/2026-10/report.pdf")
    assert response["Content-Type"] == "application/pdf"
    reader = PdfReader(io.BytesIO(response.content))
    assert len(reader.pages) == 1
    text = reader.pages[0].extract_text()
    assert "2026年10月" in text and "予約が面倒" in text and "37.5%" in text


def test_clerks_cannot_read_the_report_but_can_record_complaints(clerk_client) -> None:
    assert clerk_client.get("/staff/notices/outcomes/").status_code == 403
    assert clerk_client.get("/staff/notices/outcomes/2026-10/report.pdf").status_code == 403
    assert clerk_client.get("/staff/notices/survey/").status_code == 403
    assert clerk_client.get("/staff/notices/complaints/categories/").status_code == 403
    assert clerk_client.get("/staff/notices/complaints/").status_code == 200
    # One click from every staff page, so recording takes seconds.
    assert 'href="/staff/notices/complaints/"' in clerk_client.get("/staff/day/").content.decode()


def test_a_clerk_records_a_complaint_with_a_category_and_nothing_else(clerk_client, alice, frozen) -> None:
    category = ComplaintCategory.objects.get(name="スマホ・インターネットが使えない")
    response = clerk_client.post(
        "/staff/notices/complaints/", {"category": category.pk, "channel": "phone", "received_on": "2026-11-25"}
    )
    assert response.status_code == 302
    complaint = Complaint.objects.get()
    assert (complaint.category, complaint.channel, complaint.received_on, complaint.text, complaint.recorded_by) == (
        category,
        "phone",
        date(2026, 11, 25),
        "",
        alice,
    )
    page = clerk_client.get("/staff/notices/complaints/").content.decode()
    assert '<th scope="row">スマホ・インターネットが使えない</th><td>1</td>' in page


def test_a_complaint_without_a_category_is_refused_and_the_text_is_kept(clerk_client, frozen) -> None:
    response = clerk_client.post(
        "/staff/notices/complaints/", {"channel": "counter", "received_on": "2026-11-25", "text": "予約の画面が難しい"}
    )
    html = response.content.decode()
    assert response.status_code == 200 and "区分を選んでください。" in html and "予約の画面が難しい" in html
    assert not Complaint.objects.exists()


def test_a_complaint_dated_in_the_future_is_refused(clerk_client, frozen) -> None:
    category = ComplaintCategory.objects.first()
    response = clerk_client.post(
        "/staff/notices/complaints/", {"category": category.pk, "channel": "counter", "received_on": "2026-11-26"}
    )
    assert "未来の日付は指定できません" in response.content.decode()
    assert not Complaint.objects.exists()


def test_the_supervisor_adds_renames_and_retires_categories(supervisor_client, alice, frozen) -> None:
    from django.test import Client

    clerk_client = Client()
    clerk_client.force_login(alice)
    supervisor_client.post("/staff/notices/complaints/categories/", {"action": "add", "name": "  駐車場  "})
    added = ComplaintCategory.objects.get(name="駐車場")
    assert added.active and added.order > ComplaintCategory.objects.exclude(pk=added.pk).order_by("-order")[0].order
    duplicate = supervisor_client.post("/staff/notices/complaints/categories/", {"action": "add", "name": "駐車場"})
    assert "「駐車場」はすでにあります。" in duplicate.content.decode()
    supervisor_client.post(
        "/staff/notices/complaints/categories/",
        {"action": "update", "pk": added.pk, "name": "駐車場・駐輪場", "order": "5"},
    )
    added.refresh_from_db()
    assert (added.name, added.order, added.active) == ("駐車場・駐輪場", 5, False)
    form = clerk_client.get("/staff/notices/complaints/").content.decode()
    assert "駐車場・駐輪場" not in form and "予約が面倒" in form
    response = clerk_client.post(
        "/staff/notices/complaints/", {"category": added.pk, "channel": "counter", "received_on": "2026-11-25"}
    )
    assert "区分を選び直してください。" in response.content.decode()
    assert not Complaint.objects.exists()


def test_the_survey_card_page_prints_a_qr_code_of_the_survey_address(clerk_client) -> None:
    html = clerk_client.get("/staff/notices/survey/card/").content.decode()
    assert "<svg" in html and "http://testserver/survey/" in html


def test_the_supervisor_reads_the_survey_comments_of_a_month(supervisor_client, office) -> None:
    html = supervisor_client.get("/staff/notices/survey/?month=2026-10").content.decode()
    assert "分かりやすかった" in html and "平均 4.50" in html


def test_the_batch_page_shows_the_outcome_reports_figures_for_its_letters(supervisor_client, office) -> None:
    html = supervisor_client.get(f"/staff/notices/batches/{office.batch.pk}/").content.decode()
    # The same counting as the outcome report: bookings without the code count too (L3 by certificate, L4 by
    # resident), with their rate against the letters mailed, and the channel of each.
    assert '<th scope="row">発送したお知らせ</th><td>8</td><td>—</td>' in html
    assert '<th scope="row">予約</th><td>4</td><td>50.0%</td>' in html
    assert '<th scope="row">来庁</th><td>3</td><td>37.5%</td>' in html
    assert '<th scope="row">交付</th><td>2</td><td>25.0%</td>' in html
    assert '<th scope="row">来庁なし（予約したが来なかった）</th><td>1</td><td>12.5%</td>' in html
    assert '<th scope="row">資格の確認で取り下げ（発送せず）</th><td>1</td><td>—</td>' in html
    assert '<th scope="row">電話（予約コードなし）</th><td>1</td><td>25.0%</td>' in html
    assert html.count('role="img"') == 2
