"""BOOKINGS_PER_PHONE counts per pass user: household members who share one phone can each hold a booking."""

from datetime import date, time

import pytest
from django.core.exceptions import ValidationError

from reservations import booking, review
from reservations.models import Reservation
from tests import factories

pytestmark = pytest.mark.django_db

THURSDAY = date(2026, 11, 26)
LANDLINE = "06-4444-0001"


def book(slot, contact, user=None, channel="phone"):
    acks = [a.pk for a in slot.procedure.acknowledgements_to_agree()]
    return booking.reservation_book(
        procedure=slot.procedure, slot_id=slot.pk, acknowledged=acks, contact=contact, channel=channel, user=user
    )


def test_two_household_members_sharing_a_landline_each_get_a_booking_by_phone(alice, frozen) -> None:
    slot = factories.slot(THURSDAY, places=3)
    book(slot, booking.Contact("山田", "花子", "ヤマダ", "ハナコ", LANDLINE), alice)
    book(slot, booking.Contact("山田", "健太", "ヤマダ", "ケンタ", LANDLINE), alice)
    # A mother booking for her son who uses the pass: the son is the pass user.
    book(slot, booking.Contact("山田", "花子", "ヤマダ", "ハナコ", LANDLINE, pass_user_name="山田 翔"), alice)
    assert Reservation.objects.filter(phone_digits="0644440001").count() == 3


def test_a_second_booking_for_the_same_pass_user_on_the_same_phone_is_refused(alice, frozen) -> None:
    slot = factories.slot(THURSDAY, places=3)
    book(slot, booking.Contact("山田", "花子", "ヤマダ", "ハナコ", LANDLINE), alice)
    with pytest.raises(ValidationError, match="同じ方（定期券を使う方）の予約がすでにあります"):
        book(slot, booking.Contact("山田", "花子", "ヤマダ", "ハナコ", LANDLINE, pass_user_name="山田　花子"), alice)
    assert Reservation.objects.count() == 1


def test_the_supervisor_reviews_only_a_pass_user_over_the_limit(frozen) -> None:
    slot = factories.slot(THURSDAY, time(9, 0), places=3)
    later = factories.slot(date(2026, 11, 27), time(9, 0), places=3)
    book(slot, booking.Contact("山田", "花子", "ヤマダ", "ハナコ", LANDLINE), channel="web")
    book(slot, booking.Contact("山田", "健太", "ヤマダ", "ケンタ", LANDLINE), channel="web")
    assert [g for g in review.review_groups() if g.reason.startswith("同じ電話番号")] == []
    book(later, booking.Contact("山田", "花子", "ヤマダ", "ハナコ", LANDLINE), channel="web")
    (group,) = [g for g in review.review_groups() if g.reason.startswith("同じ電話番号")]
    assert group.reason == "同じ電話番号・同じ方の予約 2件"
    assert {r.given_name for r in group.reservations} == {"花子"}
