"""Malformed input at every public form and URL: never a server error, never a change to stored data."""

from __future__ import annotations

import os
from datetime import date, time

import pytest
from django.core.cache import cache
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from reservations.models import Invitation, Reservation, Slot
from staff.models import Counter
from tests import factories
from tests.reservations.helpers import CONTACT, ack_data

pytestmark = pytest.mark.django_db

THURSDAY = date(2026, 11, 26)

nasty_text = st.one_of(
    st.text(max_size=40),
    st.text(alphabet=st.characters(codec="utf-8"), min_size=300, max_size=3000),
    st.sampled_from(
        [
            "",
            " ",
            "\x00",
            "\u202e\u202d",
            "' OR 1=1 --",
            "<script>alert(1)</script>",
            "ｱｲｳ𠮷野家",
            "０９０－１２３４－５６７８",
            "-1",
            "9" * 40,
            "%00",
            "../../etc/passwd",
            "{code}",
            "{{ 7*7 }}",
        ]
    ),
    st.text(alphabet=st.characters(whitelist_categories=("Cc", "Cf", "Zs", "Co")), max_size=50),
)
form_data = st.dictionaries(
    st.sampled_from(
        [
            "slot",
            "family_name",
            "given_name",
            "family_name_kana",
            "given_name_kana",
            "phone",
            "email",
            "pass_user_name",
            "number",
            "code",
            "ack_1",
            "ack_2",
            "ack_999",
            "csrfmiddlewaretoken",
            "page",
            "next",
            "language",
        ]
    ),
    nasty_text,
    max_size=10,
)
PUBLIC_POSTS = [
    "/book/code/",
    "/book/acknowledgements/",
    "/book/details/",
    "/book/confirm/",
    "/reservation/",
    "/book/p/jr-pass/2026-11-26/",
]
SETTINGS = settings(
    max_examples=int(os.environ.get("HYPOTHESIS_EXAMPLES", "25")),
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


@pytest.fixture
def world(frozen):
    slot = factories.slot(THURSDAY, time(9, 0), places=1)
    resident = factories.resident()
    certificate = factories.certificate(resident, issued_on=date(2026, 7, 10))
    Invitation.objects.create(
        code="ACDEFG34",
        resident=resident,
        certificate=certificate,
        procedure=slot.procedure,
        valid_until=date(2027, 2, 9),
    )
    return slot


def fresh_limits() -> None:
    """Each example starts with no attempt counted, so that every one reaches the view instead of a 429."""
    Counter.objects.filter(key__startswith="rl:").delete()
    cache.clear()


def snapshot() -> tuple:
    return (
        Reservation.objects.count(),
        tuple(Slot.objects.order_by("pk").values_list("booked", flat=True)),
        tuple(Invitation.objects.order_by("pk").values_list("used_at", flat=True)),
    )


@SETTINGS
@given(path=st.sampled_from(PUBLIC_POSTS), data=form_data)
def test_any_public_post_is_answered_without_error_or_change(client, world, path, data) -> None:
    fresh_limits()
    before = snapshot()
    response = client.post(path, data)
    assert response.status_code < 500 and response.status_code != 429
    assert snapshot() == before


@SETTINGS
@given(data=form_data)
def test_malformed_details_in_the_middle_of_a_booking_change_nothing(client, world, data) -> None:
    fresh_limits()
    client.post(f"/book/p/jr-pass/{THURSDAY}/", {"slot": world.pk})
    client.post("/book/acknowledgements/", ack_data(world.procedure))
    before = snapshot()
    response = client.post("/book/details/", {**CONTACT, **data})
    assert response.status_code < 500
    # Out of order: confirming right after, whatever the details step answered.
    response = client.post("/book/confirm/", data)
    assert response.status_code < 500 and response.status_code != 429
    after = snapshot()
    if after != before:
        # Only a complete, valid booking may change anything, and then exactly one place.
        assert after[0] == before[0] + 1
        assert Reservation.objects.get().phone_digits.isdigit()


segment = st.text(
    alphabet=st.characters(blacklist_categories=("Cs",), blacklist_characters="/?#"), min_size=1, max_size=60
)


@SETTINGS
@given(a=segment, b=segment)
def test_any_public_url_is_answered_without_error(client, world, a, b) -> None:
    from urllib.parse import quote

    fresh_limits()
    before = snapshot()
    for url in [
        f"/book/{quote(a)}/",
        f"/reservation/{quote(a)}/",
        f"/book/p/{quote(a)}/",
        f"/book/p/jr-pass/{quote(a)}/",
        f"/reservation/{quote(a)}/cancel/",
        f"/book/p/{quote(a)}/{quote(b)}/",
        f"/book/p/jr-pass/?month={quote(a)}",
        f"/language/{quote(a)}/?next={quote(b)}",
    ]:
        assert client.get(url).status_code < 500, url
        status = client.post(url, {"slot": b}).status_code
        assert status < 500 and status != 429, url
    assert snapshot() == before


def test_a_tampered_hidden_slot_on_the_change_page_is_refused(client, world) -> None:
    from tests.reservations.helpers import book

    other = factories.slot(date(2026, 11, 27), time(9, 0))
    book(client, world)
    reservation = Reservation.objects.get()
    client.get(f"/reservation/{reservation.token}/change/")
    client.post("/book/p/jr-pass/2026-11-27/", {"slot": other.pk})
    tampered = factories.slot(date(2026, 11, 27), time(10, 0))
    response = client.post(f"/reservation/{reservation.token}/change/", {"slot": tampered.pk}, follow=True)
    assert "新しい日時を選び直してください" in response.content.decode()
    reservation.refresh_from_db()
    assert reservation.slot_id == world.pk
