"""A caller who reads out the letter's booking code on the phone is counted for that letter."""

from datetime import date, time

import pytest

from notices import report
from notices.models import Letter, NoticeBatch
from reservations.models import Invitation
from tests import factories

pytestmark = pytest.mark.django_db


@pytest.fixture
def mailed_letter(frozen):
    resident = factories.resident(
        family_name="鈴木", given_name="一郎", family_name_kana="スズキ", given_name_kana="イチロウ"
    )
    certificate = factories.certificate(resident, issued_on=date(2026, 7, 10))
    invitation = Invitation.objects.create(
        code="ACDEFG34",
        resident=resident,
        certificate=certificate,
        procedure=factories.procedure(),
        valid_until=date(2027, 2, 9),
    )
    batch = NoticeBatch.objects.create(
        month=date(2027, 1, 1), status=NoticeBatch.Status.MAILED, mailed_on=date(2026, 11, 20), letter_count=1
    )
    return Letter.objects.create(
        batch=batch,
        certificate=certificate,
        resident=resident,
        invitation=invitation,
        postal_code=resident.postal_code,
        address=resident.address,
        name=resident.full_name,
        expires_on=certificate.expires_on,
        status=Letter.Status.MAILED,
    )


def test_a_phone_booking_made_with_the_letters_code_counts_for_the_letter(clerk_client, mailed_letter) -> None:
    slot = factories.slot(date(2026, 11, 26), time(9, 0))
    data = {
        "slot": slot.pk,
        "channel": "phone",
        "family_name": "鈴木",
        "given_name": "一郎",
        "family_name_kana": "スズキ",
        "given_name_kana": "イチロウ",
        "phone": "06-5555-0001",
        **{f"ack_{a.pk}": "on" for a in slot.procedure.acknowledgements.all()},
    }
    before = report.funnel_for_batch(mailed_letter.batch)
    assert before.booked == 0
    clerk_client.post(f"/staff/book/?procedure={slot.procedure.pk}&day=2026-11-26&code=ACDE-FG34", data)
    after = report.funnel_for_batch(mailed_letter.batch)
    assert (after.booked, after.booked_with_code, after.phone_with_code, after.by_channel["phone"]) == (1, 1, 1, 1)
