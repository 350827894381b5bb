"""The resident edit screen and the certificate renew screen, through the staff pages."""

from datetime import date

import pytest

from certificates.models import AccessLog, Certificate, Resident
from tests import factories

pytestmark = pytest.mark.django_db


def _edit_data(resident: Resident, **changes: str) -> dict[str, str]:
    data = {
        "family_name": resident.family_name,
        "given_name": resident.given_name,
        "family_name_kana": resident.family_name_kana,
        "given_name_kana": resident.given_name_kana,
        "birth_year": str(resident.birth_date.year),
        "birth_month": str(resident.birth_date.month),
        "birth_day": str(resident.birth_date.day),
        "postal_code": resident.postal_code,
        "address": resident.address,
        "phone": resident.phone,
        "email": resident.email,
        "case_number": resident.case_number,
        "notes": resident.notes,
    }
    data.update(changes)
    return data


def test_opening_the_edit_screen_is_logged_and_shows_the_record(clerk_client, alice) -> None:
    resident = factories.resident(address="大阪府大阪市北区梅田1丁目1番1号")
    response = clerk_client.get(f"/staff/residents/{resident.pk}/edit/")
    assert response.status_code == 200
    assert 'value="大阪府大阪市北区梅田1丁目1番1号"' in response.content.decode()
    assert AccessLog.objects.filter(user=alice, resident=resident, action="view", detail="変更画面").exists()


def test_an_edit_is_saved_logged_and_searchable_by_the_new_phone(clerk_client, alice) -> None:
    resident = factories.resident()
    response = clerk_client.post(
        f"/staff/residents/{resident.pk}/edit/",
        _edit_data(resident, address="大阪府堺市堺区南瓦町3番1号", phone="072-233-1101"),
    )
    assert response["Location"] == f"/staff/residents/{resident.pk}/"
    resident.refresh_from_db()
    assert (resident.address, resident.phone, resident.phone_digits) == (
        "大阪府堺市堺区南瓦町3番1号",
        "072-233-1101",
        "0722331101",
    )
    log = AccessLog.objects.get(user=alice, resident=resident, action="update")
    assert log.detail == "address, phone"
    assert list(clerk_client.post("/staff/residents/", {"q": "0722331101"}).context["results"]) == [resident]


def test_a_wrong_edit_changes_nothing_and_keeps_what_was_typed(clerk_client) -> None:
    resident = factories.resident()
    before = Resident.objects.values().get(pk=resident.pk)
    response = clerk_client.post(
        f"/staff/residents/{resident.pk}/edit/",
        _edit_data(resident, address="大阪府堺市堺区南瓦町3番1号", birth_month="2", birth_day="30"),
    )
    assert response.status_code == 200
    html = response.content.decode()
    assert "生年月日が正しい日付ではありません" in html
    assert 'value="大阪府堺市堺区南瓦町3番1号"' in html
    assert Resident.objects.values().get(pk=resident.pk) == before
    assert not AccessLog.objects.filter(action="update").exists()


def test_renewing_through_the_form_refuses_an_old_photo_then_renews(clerk_client, alice, frozen) -> None:
    old = factories.certificate(issued_on=date(2026, 6, 1), route_from="梅田", route_to="難波")
    page = clerk_client.get(f"/staff/certificates/{old.pk}/renew/").content.decode()
    assert 'value="梅田"' in page and 'value="難波"' in page
    response = clerk_client.post(
        f"/staff/certificates/{old.pk}/renew/",
        {"issued_on": "2026-11-25", "photo_taken_on": "2026-05-01", "route_from": "梅田", "route_to": "難波"},
    )
    assert response.status_code == 200
    assert "2026年5月25日以降" in response.content.decode()
    assert Certificate.objects.count() == 1
    response = clerk_client.post(
        f"/staff/certificates/{old.pk}/renew/",
        {"issued_on": "2026-11-25", "photo_taken_on": "2026-11-01", "route_from": "梅田", "route_to": "天王寺"},
    )
    assert response["Location"] == f"/staff/residents/{old.resident_id}/"
    new = Certificate.objects.exclude(pk=old.pk).get()
    assert (new.renews, new.issued_by, new.expires_on, new.route_to) == (old, alice, date(2027, 5, 25), "天王寺")
    assert AccessLog.objects.filter(user=alice, resident=old.resident, action="issue").exists()


def test_renewing_the_same_certificate_twice_is_refused(clerk_client, frozen) -> None:
    old = factories.certificate(issued_on=date(2026, 6, 1))
    data = {"issued_on": "2026-11-25", "photo_taken_on": "2026-11-01"}
    clerk_client.post(f"/staff/certificates/{old.pk}/renew/", data)
    response = clerk_client.post(f"/staff/certificates/{old.pk}/renew/", data)
    assert response.status_code == 200
    assert Certificate.objects.count() == 2
