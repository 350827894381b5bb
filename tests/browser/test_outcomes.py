"""The outcome report on the demo data, clicked through in Chromium as the supervisor reads it: every table's
figures are on the page as the report computes them, each chart is an image with a text alternative, the pages
pass axe, and the office choice, the table CSV, the PDF and a batch's page all answer."""

from __future__ import annotations

import re
from datetime import date

import pytest
from django.conf import settings as django_settings
from django.contrib.auth import get_user_model
from django.core.management import call_command

from notices import evidence
from notices.models import NoticeBatch
from notices.views import _batch_tables
from reservations.models import Office
from tests import factories
from tests.browser.conftest import axe_violations

pytestmark = pytest.mark.django_db(transaction=True)

READ_TABLES = """sections => sections.map(s => ({
  id: s.getAttribute('aria-labelledby'),
  rows: [...s.querySelectorAll('tbody tr')].map(r => [...r.querySelectorAll('th, td')].map(c => c.innerText.trim())),
  chart: !!s.querySelector('figure svg[role=img] title') && !!s.querySelector('figure svg[role=img] desc'),
}))"""


def _log_in_as_demo_supervisor(desk, live_server) -> None:
    from django_otp.oath import totp
    from django_otp.plugins.otp_totp.models import TOTPDevice

    supervisor = get_user_model().objects.get(username="demo-supervisor")
    device = TOTPDevice.objects.create(user=supervisor, name="phone", confirmed=True)
    desk.goto(f"{live_server.url}/staff/day/")
    desk.get_by_label("ユーザー名").fill("demo-supervisor")
    desk.get_by_label("パスワード").fill(django_settings.DEMO_PASSWORD)
    desk.get_by_role("button", name="ログイン").click()
    desk.get_by_label("確認コード（6桁）").fill(f"{totp(device.bin_key):06d}")
    desk.get_by_role("button", name="確認").click()
    desk.get_by_role("heading", name="予約一覧").wait_for()


def _check_tables(desk, month, office) -> None:
    _report, tables = evidence.month_tables(month, office)
    shown = {s["id"]: s for s in desk.eval_on_selector_all("section.evidence", READ_TABLES)}
    assert set(shown) == {f"h-{t.ident}" for t in tables}
    for table in tables:
        desk.get_by_role("heading", name=table.title, exact=True).wait_for()
        rows = shown[f"h-{table.ident}"]["rows"]
        assert rows == (table.display or [["記録はありません。"]]), table.ident
        assert shown[f"h-{table.ident}"]["chart"] == (table.chart is not None), table.ident


def test_the_supervisor_reads_every_figure_of_the_demo_month(live_server, desk, settings) -> None:
    factories.ensure_defaults()
    settings.DEBUG = True
    call_command("seed_demo", residents=30, verbosity=0)
    settings.DEBUG = False
    _log_in_as_demo_supervisor(desk, live_server)

    desk.get_by_role("link", name="お知らせ", exact=True).click()
    desk.get_by_role("link", name="結果と見通し").click()
    heading = desk.get_by_role("heading", level=1).inner_text()
    year, month_number = (int(n) for n in re.search(r"(\d{4})年(\d{1,2})月", heading).groups())
    month = date(year, month_number, 1)
    assert heading.endswith("（市全体）")
    _check_tables(desk, month, None)
    # Every chart is named by its title and states its figures in its description.
    for chart in desk.locator("figure svg[role=img]").all():
        assert chart.get_attribute("aria-labelledby").endswith("-desc")
    assert axe_violations(desk) == []

    with desk.expect_download() as download:
        desk.get_by_role("link", name="この表をCSVで出力").first.click()
    assert download.value.suggested_filename == f"outcome-{month:%Y-%m}-letters.csv"
    pdf_link = desk.get_by_role("link", name="この月の報告書（PDF・1ページ）").get_attribute("href")
    report_pdf = desk.request.get(f"{live_server.url}{pdf_link}")
    assert report_pdf.ok and report_pdf.headers["content-type"] == "application/pdf"

    # One office: the same tables, its own figures.
    branch = Office.objects.order_by("id").last()
    desk.get_by_label("窓口", exact=True).select_option(label=branch.name)
    desk.get_by_role("button", name="表示").click()
    desk.get_by_role("heading", level=1, name=re.compile(re.escape(f"（{branch.name}）") + "$")).wait_for()
    _check_tables(desk, month, branch)
    assert axe_violations(desk) == []

    desk.get_by_role("link", name="アンケートの自由記述").click()
    desk.get_by_role("heading", level=1).wait_for()
    assert axe_violations(desk) == []

    # A mailed batch's page: the report's two tables for its letters.
    batch = NoticeBatch.objects.filter(mailed_on__isnull=False).order_by("-month").first()
    desk.goto(f"{live_server.url}/staff/notices/")
    desk.get_by_role("link", name=batch.label, exact=True).click()
    tables = desk.eval_on_selector_all("section.evidence", READ_TABLES)
    expected = _batch_tables(batch)
    assert [t["rows"] for t in tables] == [t.display for t in expected]
    assert all(t["chart"] for t in tables)
    assert axe_violations(desk) == []
