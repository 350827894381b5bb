"""Every staff page that shows a resident's name writes a view to the access log."""

from __future__ import annotations

from datetime import date, time

from certificates.models import AccessLog
from tests import factories
from tests.reservations.helpers import book


def views_of(resident) -> int:
    return AccessLog.objects.filter(action="view", resident=resident).count()


def test_the_issue_renew_and_revoke_pages_log_the_resident_they_show(clerk_client, frozen) -> None:
    resident = factories.resident()
    certificate = factories.certificate(resident, issued_on=date(2026, 7, 10))
    for url in (
        f"/staff/residents/{resident.pk}/certificates/new/",
        f"/staff/certificates/{certificate.pk}/renew/",
        f"/staff/certificates/{certificate.pk}/revoke/",
    ):
        before = views_of(resident)
        page = clerk_client.get(url)
        assert page.status_code == 200 and resident.family_name in page.content.decode()
        assert views_of(resident) == before + 1, url
    details = list(AccessLog.objects.filter(resident=resident).order_by("id").values_list("detail", flat=True))
    assert details == ["交付画面", f"証明書 {certificate.number} 更新画面", f"証明書 {certificate.number} 取消画面"]


def test_a_form_shown_again_after_an_error_is_logged_again(clerk_client, frozen) -> None:
    resident = factories.resident()
    certificate = factories.certificate(resident, issued_on=date(2026, 7, 10))
    page = clerk_client.post(f"/staff/certificates/{certificate.pk}/revoke/", {})
    assert page.status_code == 200
    assert views_of(resident) == 1


def test_each_candidate_on_the_choose_resident_page_is_logged(clerk_client, frozen) -> None:
    from django.test import Client

    from reservations.models import Reservation

    slot = factories.slot(date(2026, 11, 26), time(9, 0))
    book(Client(), slot)
    reservation = Reservation.objects.get()
    twins = [factories.resident(phone=reservation.phone, phone_digits="09011112222") for _ in range(2)]
    page = clerk_client.get(f"/staff/reservations/{reservation.pk}/issue/")
    assert twins[0].family_name in page.content.decode()
    for twin in twins:
        assert views_of(twin) == 1
