"""The Django admin is no back door: the staff login and second factor, read-only records, every read logged."""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model
from django.test import Client
from django_otp.plugins.otp_totp.models import TOTPDevice

from certificates.models import AccessLog, Resident
from staff.models import SecurityEvent
from tests import factories
from tests.conftest import verify_second_factor
from tests.factories import PASSWORD


@pytest.fixture
def root(db):
    """An administrator, as docs/deploy.md has operators create one (createsuperuser)."""
    factories.ensure_defaults()
    return get_user_model().objects.create_superuser("root", password=PASSWORD)


@pytest.fixture
def admin_client(client, root):
    client.force_login(root)
    verify_second_factor(client, root)
    return client


def test_the_admin_has_no_password_form_of_its_own(client, root) -> None:
    assert client.get("/admin/")["Location"] == "/admin/login/?next=/admin/"
    assert client.get("/admin/login/?next=/admin/")["Location"] == "/accounts/login/?next=/admin/"
    response = client.post("/admin/login/", {"username": "root", "password": PASSWORD})
    assert "_auth_user_id" not in client.session
    assert response.status_code == 302


def test_the_admin_login_is_the_throttled_staff_login(client, root) -> None:
    for _ in range(5):
        client.post("/accounts/login/?next=/admin/", {"username": "root", "password": "wrong"})
    response = client.post("/accounts/login/?next=/admin/", {"username": "root", "password": PASSWORD})
    assert "このアカウントは" in response.content.decode()


def test_a_password_alone_does_not_open_the_admin(client, root) -> None:
    device = TOTPDevice.objects.create(user=root, name="phone", confirmed=True)
    client.post("/accounts/login/", {"username": "root", "password": PASSWORD})
    response = client.get("/admin/", follow=True)
    assert response.redirect_chain[-1][0] == "/accounts/otp/?next=/admin/"
    device.delete()
    response = client.get("/admin/", follow=True)
    # No authenticator app yet: an administrator, like a supervisor, needs an enrolment link.
    assert response.status_code == 403 and "登録用リンクが必要です" in response.content.decode()


def test_staff_without_the_admin_flag_are_refused(clerk_client) -> None:
    assert clerk_client.get("/admin/login/").status_code == 403


def test_entering_the_admin_is_recorded_once_per_session(admin_client, root) -> None:
    assert admin_client.get("/admin/").status_code == 200
    assert admin_client.get("/admin/certificates/certificatekind/").status_code == 200
    assert list(SecurityEvent.objects.filter(kind="admin_login").values_list("user__username", flat=True)) == ["root"]


def test_resident_records_are_read_only_and_every_read_is_logged(admin_client, root) -> None:
    resident = factories.resident()
    listing = admin_client.get("/admin/certificates/resident/")
    assert listing.status_code == 200
    page = admin_client.get(f"/admin/certificates/resident/{resident.pk}/change/")
    assert page.status_code == 200 and 'name="_save"' not in page.content.decode()
    response = admin_client.post(f"/admin/certificates/resident/{resident.pk}/change/", {"family_name": "書換"})
    assert response.status_code == 403
    assert Resident.objects.get(pk=resident.pk).family_name == "山田"
    assert admin_client.get("/admin/certificates/resident/add/").status_code == 403
    assert admin_client.post(f"/admin/certificates/resident/{resident.pk}/delete/", {"post": "yes"}).status_code == 403
    logs = list(AccessLog.objects.order_by("id").values_list("action", "resident_id", "user__username"))
    assert logs == [("search", None, "root"), ("view", resident.pk, "root")]


def test_a_certificate_read_in_the_admin_is_logged_against_its_resident(admin_client) -> None:
    certificate = factories.certificate(factories.resident(), issued_on=factories.TODAY)
    assert admin_client.get(f"/admin/certificates/certificate/{certificate.pk}/change/").status_code == 200
    assert AccessLog.objects.get(action="view").resident_id == certificate.resident_id


def test_access_log_rows_cannot_be_added_changed_or_deleted(admin_client, alice) -> None:
    row = AccessLog.objects.create(user=alice, action="view", detail="x")
    assert admin_client.get("/admin/certificates/accesslog/add/").status_code == 403
    response = admin_client.post(f"/admin/certificates/accesslog/{row.pk}/change/", {"detail": "forged"})
    assert response.status_code == 403
    assert admin_client.post(f"/admin/certificates/accesslog/{row.pk}/delete/", {"post": "yes"}).status_code == 403
    assert AccessLog.objects.get(pk=row.pk).detail == "x"


def test_security_events_cannot_be_added_or_changed(admin_client) -> None:
    assert admin_client.get("/admin/staff/securityevent/add/").status_code == 403
    assert admin_client.get("/admin/staff/securityevent/").status_code == 200


def test_the_admin_never_shows_an_authenticator_secret(admin_client, root) -> None:
    device = TOTPDevice.objects.get(user=root)
    page = admin_client.get(f"/admin/otp_totp/totpdevice/{device.pk}/change/").content.decode()
    assert device.key not in page
    for url in (f"/admin/otp_totp/totpdevice/{device.pk}/config/", f"/admin/otp_totp/totpdevice/{device.pk}/qrcode/"):
        page = admin_client.get(url, follow=True).content.decode()
        assert device.key not in page and "otpauth://" not in page
    assert admin_client.get("/admin/otp_totp/totpdevice/add/").status_code == 403


def test_reservations_and_slots_are_read_only_and_secrets_never_shown(admin_client, frozen) -> None:
    from datetime import date, time

    from reservations.models import Reservation
    from tests.reservations.helpers import book

    slot = factories.slot(date(2026, 11, 26), time(9, 0), places=2)
    book(Client(), slot)
    reservation = Reservation.objects.get()
    page = admin_client.get(f"/admin/reservations/reservation/{reservation.pk}/change/")
    assert page.status_code == 200 and reservation.token not in page.content.decode()
    assert AccessLog.objects.filter(action="view", detail__contains="予約").exists()
    response = admin_client.post(f"/admin/reservations/reservation/{reservation.pk}/delete/", {"post": "yes"})
    assert response.status_code == 403
    response = admin_client.post(f"/admin/reservations/slot/{slot.pk}/change/", {"places": 9})
    assert response.status_code == 403
    slot.refresh_from_db()
    assert (slot.places, slot.booked) == (2, 1)


def test_a_closure_saved_in_the_admin_regenerates_the_slots(
    admin_client, frozen, django_capture_on_commit_callbacks
) -> None:
    from datetime import date, time

    from reservations.models import Slot
    from reservations.slots import slots_generate

    day = date(2026, 11, 26)
    factories.staffed(2)
    slots_generate(procedure=factories.procedure(), start=day, end=day)
    assert Slot.objects.get(day=day, start=time(9, 0)).places == 2
    with django_capture_on_commit_callbacks(execute=True):
        response = admin_client.post(
            "/admin/reservations/calendarday/add/", {"day": "2026-11-26", "kind": "closed", "hours_like": 0}
        )
    assert response.status_code == 302
    assert Slot.objects.get(day=day, start=time(9, 0)).places == 0
