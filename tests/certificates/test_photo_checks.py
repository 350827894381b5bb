"""The photo date on the issue forms: 必須 when the kind needs a photo, and a warning to acknowledge when the photo
looks like the one of the previous certificate (a reused photo)."""

from __future__ import annotations

from datetime import date, time

import pytest

from certificates import rules
from certificates.models import AccessLog, Certificate, CertificateKind
from reservations import booking
from reservations.models import Reservation
from tests import factories

pytestmark = pytest.mark.django_db

TODAY = date(2026, 11, 25)


@pytest.mark.parametrize(
    ("photo", "previous_photo", "previous_issued", "expected"),
    [
        (date(2026, 6, 1), date(2026, 6, 1), date(2026, 6, 10), True),  # the date of the previous photo
        (date(2026, 6, 5), date(2026, 6, 1), date(2026, 6, 10), True),  # taken before the previous issue
        (date(2026, 6, 10), None, date(2026, 6, 10), True),  # on the previous issue day
        (date(2026, 6, 11), date(2026, 6, 1), date(2026, 6, 10), False),  # taken after: a new photo
        (date(2026, 11, 20), date(2026, 11, 20), TODAY, False),  # another kind issued at the same visit
    ],
)
def test_a_photo_looks_reused_when_it_is_the_previous_one_or_older(
    photo, previous_photo, previous_issued, expected
) -> None:
    assert (
        rules.photo_may_be_reused(
            photo, previous_photo_taken_on=previous_photo, previous_issued_on=previous_issued, issued_on=TODAY
        )
        is expected
    )


def _label(html: str, field_id: str) -> str:
    start = html.index(f'<label for="{field_id}"')
    return html[start : html.index("</label>", start)]


def test_the_photo_date_is_marked_required_when_the_kind_needs_a_photo(clerk_client, frozen) -> None:
    resident = factories.resident()
    page = clerk_client.get(f"/staff/residents/{resident.pk}/certificates/new/").content.decode()
    assert "必須" in _label(page, "id_photo_taken_on") and "任意" not in _label(page, "id_photo_taken_on")
    assert "写真の撮影日（申告）" in page and "交付日の前6か月以内" in page


def test_the_photo_date_is_optional_for_a_kind_without_a_photo(clerk_client, frozen) -> None:
    resident = factories.resident()
    factories.ensure_defaults()
    kind = CertificateKind.objects.create(
        name="購入証明書（写真なし）", number_prefix="N", validity_months=6, photo_required=False
    )
    data = {"kind": kind.pk, "issued_on": "2026-11-25", "photo_taken_on": "", "route_from": "", "route_to": ""}
    response = clerk_client.post(f"/staff/residents/{resident.pk}/certificates/new/", data)
    assert response.status_code == 302
    sent_back = clerk_client.post(f"/staff/residents/{resident.pk}/certificates/new/", {**data, "issued_on": ""})
    html = sent_back.content.decode()
    assert "任意" in _label(html, "id_photo_taken_on") and "写真が不要です" in html


def test_a_missing_photo_date_is_refused_with_a_japanese_message(clerk_client, frozen) -> None:
    resident = factories.resident()
    data = {"kind": factories.letter_kind().pk, "issued_on": "2026-11-25", "photo_taken_on": ""}
    response = clerk_client.post(f"/staff/residents/{resident.pk}/certificates/new/", data)
    assert "写真の撮影日（申告）を入力してください" in response.content.decode()
    assert not Certificate.objects.filter(resident=resident).exists()


def test_a_photo_dated_like_the_previous_one_is_issued_only_after_the_clerk_ticks_the_warning(
    clerk_client, alice, frozen
) -> None:
    resident = factories.resident()
    old = factories.certificate(resident, issued_on=date(2026, 6, 10), photo_taken_on=date(2026, 6, 1))
    url = f"/staff/certificates/{old.pk}/renew/"
    data = {"issued_on": "2026-11-25", "photo_taken_on": "2026-06-01", "route_from": "", "route_to": ""}
    response = clerk_client.post(url, data)
    html = response.content.decode()
    assert response.status_code == 200
    assert "前回の証明書（令和8年" in html and "6月10日交付）の写真と同じ撮影日です" in html
    assert "前回の証明書と同じ写真ではないことを確かめました" in html
    assert Certificate.objects.filter(resident=resident).count() == 1
    response = clerk_client.post(url, {**data, "photo_reuse_checked": "on"})
    assert response.status_code == 302
    new = Certificate.objects.get(renews=old)
    log = AccessLog.objects.get(action=AccessLog.Action.ISSUE, resident=resident)
    assert log.detail == f"証明書 {new.number}（前回と同じ写真ではないことを確認）"


def test_a_new_photo_is_issued_without_a_warning(clerk_client, frozen) -> None:
    resident = factories.resident()
    old = factories.certificate(resident, issued_on=date(2026, 6, 10), photo_taken_on=date(2026, 6, 1))
    data = {"issued_on": "2026-11-25", "photo_taken_on": "2026-11-01", "route_from": "", "route_to": ""}
    response = clerk_client.post(f"/staff/certificates/{old.pk}/renew/", data)
    assert response.status_code == 302
    log = AccessLog.objects.get(action=AccessLog.Action.ISSUE, resident=resident)
    assert "確認" not in log.detail


def test_issuing_from_an_appointment_warns_about_a_reused_photo_too(clerk_client, alice, frozen) -> None:
    resident = factories.resident()
    old = factories.certificate(resident, issued_on=date(2026, 6, 10), photo_taken_on=date(2026, 6, 1))
    slot = factories.slot(TODAY, time(16, 0))
    reservation = booking.reservation_book(
        procedure=slot.procedure,
        slot_id=slot.pk,
        acknowledged=list(slot.procedure.acknowledgements.values_list("pk", flat=True)),
        contact=booking.Contact("山田", "花子", "ヤマダ", "ハナコ", "090-2222-0001"),
        channel="phone",
        user=alice,
    )
    Reservation.objects.filter(pk=reservation.pk).update(resident=resident, certificate=old)
    data = {"kind": old.kind_id, "issued_on": "2026-11-25", "photo_taken_on": "2026-06-01"}
    response = clerk_client.post(f"/staff/reservations/{reservation.pk}/issue/", data)
    assert "前回と同じ写真ではありませんか" in response.content.decode()
    assert not Certificate.objects.filter(renews=old).exists()
    response = clerk_client.post(f"/staff/reservations/{reservation.pk}/issue/", {**data, "photo_reuse_checked": "on"})
    assert Certificate.objects.filter(renews=old).exists()
