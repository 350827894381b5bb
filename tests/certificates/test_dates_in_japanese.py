"""Staff read a date one way: 2026年12月10日（木）, as the rest of the pages write it; CSV files keep ISO dates."""

from __future__ import annotations

from datetime import date

import pytest

from tests import factories

pytestmark = pytest.mark.django_db

ISO = "2026-12-10"
JAPANESE = "2026年12月10日（木）"


@pytest.fixture
def certificate(frozen):
    resident = factories.resident(case_number="CASE-7")
    return factories.certificate(resident, issued_on=date(2026, 6, 10), photo_taken_on=date(2026, 5, 10))


def test_the_resident_page_writes_issue_and_expiry_dates_in_japanese(clerk_client, certificate) -> None:
    html = clerk_client.get(f"/staff/residents/{certificate.resident_id}/").content.decode()
    assert "2026年6月10日（水）" in html and JAPANESE in html
    assert ISO not in html and "2026-06-10" not in html


def test_the_expiring_list_writes_the_expiry_date_in_japanese(clerk_client, certificate) -> None:
    html = clerk_client.get("/staff/certificates/expiring/", {"month": "2026-12"}).content.decode()
    assert f"<td>{JAPANESE}</td>" in html and certificate.number in html
    assert ISO not in html


def test_the_renew_and_revoke_pages_write_the_current_expiry_in_japanese(clerk_client, certificate) -> None:
    renew = clerk_client.get(f"/staff/certificates/{certificate.pk}/renew/").content.decode()
    assert f"現在の有効期限：{JAPANESE}" in renew
    assert "前回の写真：2026年5月10日（日）撮影" in renew
    revoke = clerk_client.get(f"/staff/certificates/{certificate.pk}/revoke/").content.decode()
    assert f"有効期限：{JAPANESE}" in revoke and ISO not in revoke
