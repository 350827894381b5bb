"""Birth dates as the counter hears them: entered and shown in 和暦 (昭和35年5月13日), the Western year too."""

from __future__ import annotations

from datetime import date

import pytest

from certificates import jp
from certificates.models import Resident
from tests import factories

pytestmark = pytest.mark.django_db

FORM = {
    "family_name": "田中",
    "given_name": "陽子",
    "family_name_kana": "タナカ",
    "given_name_kana": "ヨウコ",
    "birth_month": "5",
    "birth_day": "13",
    "postal_code": "530-0001",
    "address": "大阪市北区梅田1丁目",
    "phone": "06-1111-2222",
    "case_number": "N1",
}


@pytest.mark.parametrize(
    ("era", "year", "month", "day", "expected"),
    [
        ("昭和", 35, 5, 13, date(1960, 5, 13)),
        ("昭和", 64, 1, 7, date(1989, 1, 7)),
        ("平成", 1, 1, 8, date(1989, 1, 8)),
        ("令和", 1, 5, 1, date(2019, 5, 1)),
    ],
)
def test_an_era_date_becomes_the_western_date(era, year, month, day, expected) -> None:
    assert jp.era_date(era, year, month, day) == expected


@pytest.mark.parametrize(
    ("era", "year", "month", "day", "message"),
    [
        ("昭和", 64, 1, 8, "昭和の期間にない日付"),
        ("平成", 31, 5, 1, "平成の期間にない日付"),
        ("昭和", 35, 2, 30, "存在しない日付"),
    ],
)
def test_an_era_date_outside_its_era_is_refused_in_japanese(era, year, month, day, message) -> None:
    with pytest.raises(ValueError, match=message):
        jp.era_date(era, year, month, day)


def test_a_clerk_registers_a_birth_date_given_in_showa_years(clerk_client) -> None:
    response = clerk_client.post("/staff/residents/new/", {**FORM, "birth_era": "昭和", "birth_year": "35"})
    resident = Resident.objects.get()
    assert response["Location"] == f"/staff/residents/{resident.pk}/"
    assert resident.birth_date == date(1960, 5, 13)


def test_a_western_year_still_works_and_a_bare_era_year_is_explained(clerk_client) -> None:
    response = clerk_client.post("/staff/residents/new/", {**FORM, "birth_era": "", "birth_year": "35"})
    assert "西暦4桁（例：1960）で入力するか、元号（昭和など）を選んで" in response.content.decode()
    assert not Resident.objects.exists()
    clerk_client.post("/staff/residents/new/", {**FORM, "birth_era": "", "birth_year": "1960"})
    assert Resident.objects.get().birth_date == date(1960, 5, 13)


def test_a_date_outside_the_chosen_era_is_refused_and_nothing_is_saved(clerk_client) -> None:
    response = clerk_client.post("/staff/residents/new/", {**FORM, "birth_era": "平成", "birth_year": "40"})
    html = response.content.decode()
    assert "平成の期間にない日付" in html and 'value="田中"' in html
    assert not Resident.objects.exists()


def test_the_resident_page_and_the_search_show_the_birth_date_in_wareki(clerk_client) -> None:
    resident = factories.resident(birth_date=date(1960, 5, 13), family_name="和暦")
    page = clerk_client.get(f"/staff/residents/{resident.pk}/").content.decode()
    assert "昭和35年" in page and "5月13日" in page
    found = clerk_client.post("/staff/residents/", {"q": "和暦"}).content.decode()
    assert "昭和35年" in found
