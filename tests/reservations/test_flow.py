"""The booking in progress lives in an encrypted cookie: nothing on the server until the booking is made."""

import base64
from datetime import date, time, timedelta

import pytest
from django.contrib.sessions.models import Session
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext

from reservations import flow
from reservations.models import Reservation
from tests import factories
from tests.reservations.helpers import CONTACT, walk_to_confirm

pytestmark = pytest.mark.django_db

THURSDAY = date(2026, 11, 26)


@pytest.fixture
def slot(frozen):
    return factories.slot(THURSDAY, time(9, 0), places=2)


def test_the_steps_before_the_booking_write_nothing_on_the_server(client, slot) -> None:
    with CaptureQueriesContext(connection) as queries:
        walk_to_confirm(client, slot)
        client.get("/book/confirm/")
    statements = [q["sql"].lstrip() for q in queries]
    writes = [sql for sql in statements if not sql.upper().startswith(("SELECT", "SAVEPOINT", "RELEASE SAVEPOINT"))]
    # The one write allowed is the per-client rate-limit counter (staff.counters), which must hold across servers.
    assert writes and [sql for sql in writes if '"staff_counter"' not in sql] == []
    assert not Session.objects.exists()
    assert "sessionid" not in client.cookies
    assert not Reservation.objects.exists()


def test_a_booking_in_progress_survives_the_cache_being_emptied(client, slot) -> None:
    walk_to_confirm(client, slot)
    cache.clear()  # what a restart of Redis leaves behind
    response = client.post("/book/confirm/")
    reservation = Reservation.objects.get()
    assert response["Location"] == f"/reservation/{reservation.token}/"
    assert reservation.family_name == CONTACT["family_name"]


def test_the_cookie_hides_the_contact_details(client, slot) -> None:
    walk_to_confirm(client, slot)
    value = client.cookies[flow.COOKIE].value
    readable = value + base64.urlsafe_b64decode(value + "=" * (-len(value) % 4)).decode("latin-1")
    for secret in (CONTACT["phone"], "09011112222", "yoko@example.jp", "田中".encode().decode("latin-1")):
        assert secret not in readable
    cookie = client.cookies[flow.COOKIE]
    assert cookie["httponly"] and cookie["samesite"] == "Lax"


def test_an_altered_cookie_is_ignored_and_the_resident_starts_again(client, slot) -> None:
    walk_to_confirm(client, slot)
    value = client.cookies[flow.COOKIE].value
    client.cookies[flow.COOKIE] = value[:-4] + ("AAAA" if not value.endswith("AAAA") else "BBBB")
    response = client.post("/book/confirm/")
    assert response.status_code == 302 and response["Location"] == "/book/"
    assert not Reservation.objects.exists()


def test_a_cookie_older_than_the_session_age_is_refused(client, slot, settings, frozen) -> None:
    walk_to_confirm(client, slot)
    frozen.shift(timedelta(seconds=settings.SESSION_COOKIE_AGE + 1))
    response = client.post("/book/confirm/")
    assert response["Location"] == "/book/"
    assert not Reservation.objects.exists()


def test_each_step_renews_the_cookie(client, slot, settings, frozen) -> None:
    client.get("/book/p/jr-pass/")
    frozen.shift(timedelta(seconds=settings.SESSION_COOKIE_AGE - 60))
    client.post(f"/book/p/jr-pass/{THURSDAY}/", {"slot": slot.pk})
    frozen.shift(timedelta(seconds=settings.SESSION_COOKIE_AGE - 60))
    assert client.get("/book/acknowledgements/").status_code == 200


def test_a_cookie_written_before_a_key_rotation_is_still_read(client, slot, settings) -> None:
    walk_to_confirm(client, slot)
    settings.SECRET_KEY_FALLBACKS = [settings.SECRET_KEY]
    settings.SECRET_KEY = "a-new-key-" + "x" * 50
    response = client.post("/book/confirm/")
    assert response["Location"].startswith("/reservation/")
    settings.SECRET_KEY_FALLBACKS = []
    assert flow.decode(client.cookies[flow.COOKIE].value)  # written again with the new key


def test_a_cookie_from_another_key_is_ignored(slot, settings) -> None:
    value = flow.encode({"booking": {"procedure": slot.procedure_id}})
    settings.SECRET_KEY = "another-key-" + "y" * 50
    assert flow.decode(value) == {}
    assert flow.decode("not a token") == {}
    assert flow.decode("") == {}


def test_after_the_booking_the_cookie_keeps_only_the_link_to_it(client, slot) -> None:
    walk_to_confirm(client, slot)
    client.post("/book/confirm/")
    reservation = Reservation.objects.get()
    assert flow.decode(client.cookies[flow.COOKIE].value) == {
        "last_booking": reservation.token,
        "just_booked": reservation.token,
    }
    client.get(f"/reservation/{reservation.token}/")
    assert flow.decode(client.cookies[flow.COOKIE].value) == {"last_booking": reservation.token}
