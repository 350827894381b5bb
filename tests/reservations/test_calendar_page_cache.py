"""The calendar page and the public rate limits with Redis as the cache, as in production: the whole page is
served from the cache only while its availability version is current, and never to a visitor it was not made for."""

from __future__ import annotations

from datetime import date, time

import pytest
from django.contrib.messages import constants
from django.contrib.messages.storage.cookie import CookieStorage
from django.http import HttpResponse
from django.test import Client, RequestFactory

from reservations import availability
from staff.models import Counter
from tests import factories
from tests.redis_server import redis_url  # noqa: F401 (a fixture)

pytestmark = pytest.mark.django_db


@pytest.fixture
def redis_cache(settings, redis_url):  # noqa: F811
    settings.CACHES = {
        "default": {"BACKEND": "config.cache.RedisCache", "LOCATION": redis_url, "KEY_PREFIX": "page-test"}
    }
    from django.core.cache import cache

    cache.clear()
    return cache


def timing(response) -> str:
    return response["Server-Timing"]


def book(slot, django_capture_on_commit_callbacks):
    from reservations.booking import Contact, reservation_book

    with django_capture_on_commit_callbacks(execute=True):
        return reservation_book(
            procedure=slot.procedure,
            slot_id=slot.pk,
            acknowledged=list(slot.procedure.acknowledgements.values_list("pk", flat=True)),
            contact=Contact("佐藤", "花子", "サトウ", "ハナコ", "090-1234-5678"),
        )


def test_the_whole_page_is_served_from_the_cache_until_a_booking_changes_it(
    redis_cache, frozen, django_capture_on_commit_callbacks, django_assert_num_queries
) -> None:
    slot = factories.slot(date(2026, 11, 26), places=1)
    first = Client().get("/book/p/jr-pass/")
    assert timing(first) == "calendar;desc=miss"
    with django_assert_num_queries(0):
        again = Client().get("/book/p/jr-pass/")
    assert timing(again) == "calendar;desc=hit"
    assert again.content == first.content
    assert again["Cache-Control"] == "no-store"
    assert 'href="/book/p/jr-pass/2026-11-26/"' in again.content.decode()

    book(slot, django_capture_on_commit_callbacks)
    after = Client().get("/book/p/jr-pass/")
    assert timing(after) == "calendar;desc=miss"
    # The only place of the 26th is taken: the day is no longer offered.
    assert 'href="/book/p/jr-pass/2026-11-26/"' not in after.content.decode()
    assert timing(Client().get("/book/p/jr-pass/")) == "calendar;desc=hit"


def test_a_booking_that_leaves_places_on_its_day_keeps_the_stored_page(
    redis_cache, frozen, django_capture_on_commit_callbacks
) -> None:
    from reservations.booking import reservation_cancel

    procedure = factories.procedure()
    morning = factories.slot(date(2026, 11, 26), places=1)
    later = factories.slot(date(2026, 11, 26), time(10, 0), places=1)
    offered = 'href="/book/p/jr-pass/2026-11-26/"'
    assert timing(Client().get("/book/p/jr-pass/")) == "calendar;desc=miss"
    version = availability.version(procedure.pk)

    # The 26th still has a place at 10:00: the month looks the same, and its stored page is still current.
    book(morning, django_capture_on_commit_callbacks)
    assert availability.version(procedure.pk) == version
    kept = Client().get("/book/p/jr-pass/")
    assert timing(kept) == "calendar;desc=hit"
    assert offered in kept.content.decode()

    # The day's last place: the day turns full, and the month is made again.
    last = book(later, django_capture_on_commit_callbacks)
    assert availability.version(procedure.pk) > version
    full = Client().get("/book/p/jr-pass/")
    assert timing(full) == "calendar;desc=miss"
    assert offered not in full.content.decode()

    # A cancellation gives the place back: the day is offered again at once.
    with django_capture_on_commit_callbacks(execute=True):
        reservation_cancel(reservation=last)
    reopened = Client().get("/book/p/jr-pass/")
    assert timing(reopened) == "calendar;desc=miss"
    assert offered in reopened.content.decode()


def test_a_lost_version_never_brings_back_a_page_stored_under_an_older_one(redis_cache, frozen) -> None:
    factories.slot(date(2026, 11, 26), places=1)
    assert timing(Client().get("/book/p/jr-pass/")) == "calendar;desc=miss"
    procedure = factories.procedure()
    before = availability.version(procedure.pk)
    # As if Redis had restarted: the version is lost, and with it every connection, this process's subscription
    # to the counters' changes included...
    redis_cache.delete(f"avail-version:{procedure.pk}")
    redis_cache.client(write=True).client_kill_filter(_type="pubsub")
    frozen.shift(1)  # ...a moment later
    assert availability.version(procedure.pk) > before
    assert timing(Client().get("/book/p/jr-pass/")) == "calendar;desc=miss"


def test_a_staff_member_and_a_waiting_message_get_a_page_of_their_own(redis_cache, frozen, alice) -> None:
    factories.slot(date(2026, 11, 26), places=1)
    assert timing(Client().get("/book/p/jr-pass/")) == "calendar;desc=miss"

    staff = Client()
    staff.force_login(alice)
    mine = staff.get("/book/p/jr-pass/")
    assert mine.status_code == 200
    assert "ログアウト" in mine.content.decode()
    # Served whole to a resident afterwards, the page still carries no staff header.
    resident = Client().get("/book/p/jr-pass/")
    assert timing(resident) == "calendar;desc=hit"
    assert "ログアウト" not in resident.content.decode()

    request = RequestFactory().get("/")
    storage = CookieStorage(request)
    storage.add(constants.INFO, "はじめから予約してください。")
    response = HttpResponse()
    storage.update(response)
    with_message = Client()
    with_message.cookies[storage.cookie_name] = response.cookies[storage.cookie_name].value
    shown = with_message.get("/book/p/jr-pass/")
    assert "はじめから予約してください。" in shown.content.decode()
    assert timing(shown) == "calendar;desc=miss"


def stored_pages(redis_cache) -> list[bytes]:
    return list(redis_cache.client(write=True).scan_iter(match="*avail-page:*"))


def test_only_plain_addresses_are_stored_as_pages(redis_cache, frozen) -> None:
    factories.slot(date(2026, 11, 26), places=1)
    for address in ("/book/p/jr-pass/?utm=letter", "/book/p/jr-pass/?month=2026-13", "/book/p/jr-pass/?month=x"):
        assert Client().get(address).status_code == 200
    # No page is stored under an address a stranger made up...
    assert stored_pages(redis_cache) == []
    # ...while the calendar's own addresses are.
    Client().get("/book/p/jr-pass/")
    Client().get("/book/p/jr-pass/?month=2026-12")
    assert len(stored_pages(redis_cache)) == 2


def test_public_rate_limits_count_in_redis_and_refuse_past_the_limit(redis_cache, settings, frozen) -> None:
    settings.PUBLIC_POST_RATE = "3/10m"
    factories.slot(date(2026, 11, 26), places=1)
    client = Client(REMOTE_ADDR="198.51.100.40")
    client.get("/book/p/jr-pass/")
    answers = [client.post("/book/p/jr-pass/2026-11-26/", {"slot": "0"}).status_code for _ in range(5)]
    assert answers[:3] != [429, 429, 429] and 429 not in answers[:3]
    assert answers[3:] == [429, 429]
    assert not Counter.objects.filter(key__startswith="rl:").exists()


def test_with_redis_unreachable_the_calendar_and_the_booking_go_on_from_the_database(
    settings, frozen, django_capture_on_commit_callbacks
) -> None:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        closed_port = s.getsockname()[1]  # nothing listens there once the socket is closed
    settings.CACHES = {
        "default": {
            "BACKEND": "config.cache.RedisCache",
            "LOCATION": f"redis://127.0.0.1:{closed_port}/0",
            "OPTIONS": {"socket_connect_timeout": 0.2},
        }
    }
    settings.PUBLIC_POST_RATE = "2/10m"
    slot = factories.slot(date(2026, 11, 26), places=1)
    page = Client().get("/book/p/jr-pass/")
    assert page.status_code == 200 and timing(page) == "calendar;desc=miss"
    assert 'href="/book/p/jr-pass/2026-11-26/"' in page.content.decode()
    # The public rate limits are counted in the database meanwhile.
    client = Client(REMOTE_ADDR="198.51.100.41")
    answers = [client.post("/book/p/jr-pass/2026-11-26/", {"slot": "0"}).status_code for _ in range(3)]
    assert answers[2] == 429 and 429 not in answers[:2]
    assert Counter.objects.filter(key__startswith="rl:").count() == 1
    book(slot, django_capture_on_commit_callbacks)  # the version cannot be bumped: logged, the booking stands
    assert slot.reservations.count() == 1
    assert 'href="/book/p/jr-pass/2026-11-26/"' not in Client().get("/book/p/jr-pass/").content.decode()


def test_a_returning_visitor_is_served_the_stored_page_before_the_session_and_csrf_layers(
    redis_cache, frozen, django_assert_num_queries
) -> None:
    factories.slot(date(2026, 11, 26), places=1)
    visitor = Client()
    first = visitor.get("/book/p/jr-pass/")
    assert timing(first) == "calendar;desc=miss"
    assert "booking" in first.cookies  # the booking in progress is now for this procedure
    with django_assert_num_queries(0):
        again = visitor.get("/book/p/jr-pass/")
    assert timing(again) == "calendar;desc=hit"
    assert again.content == first.content
    # Neither the session nor the authentication layer ran for it.
    assert not hasattr(again.wsgi_request, "session") and not hasattr(again.wsgi_request, "user")
    assert hasattr(first.wsgi_request, "user")
    # Served by page_cache.CalendarPageMiddleware: the headers of the page it was made as, and those of the
    # security layers above it; no cookie of anyone else's.
    for header in ("Content-Type", "Content-Language", "Vary", "X-Frame-Options", "Cache-Control"):
        assert again[header] == first[header]
    assert "Content-Security-Policy" in again
    assert "Cookie" in again["Vary"] and "Accept-Language" in again["Vary"]
    assert not again.cookies


def test_the_stored_page_follows_the_visitors_language(redis_cache, frozen) -> None:
    factories.slot(date(2026, 11, 26), places=1)
    japanese, english = Client(), Client(HTTP_ACCEPT_LANGUAGE="en")
    for client in (japanese, english):
        assert timing(client.get("/book/p/jr-pass/")) == "calendar;desc=miss"
    ja, en = japanese.get("/book/p/jr-pass/"), english.get("/book/p/jr-pass/")
    assert timing(ja) == timing(en) == "calendar;desc=hit"
    assert ja["Content-Language"] == "ja" and en["Content-Language"] == "en"
    assert '<html lang="ja">' in ja.content.decode() and '<html lang="en">' in en.content.decode()


def test_a_booking_for_another_office_goes_through_the_view_which_starts_it_again(redis_cache, frozen) -> None:
    slot = factories.slot(date(2026, 11, 26), places=1)
    _office, other = factories.office_with_procedure("北支所", phone="06-1111-2222", slug="jr-pass-north")
    visitor = Client()
    visitor.get("/book/p/jr-pass/")
    Client().get(f"/book/p/{other.slug}/")  # someone else's visit stores the other office's page
    shown = visitor.get(f"/book/p/{other.slug}/")
    assert shown.status_code == 200
    # The view ran: the booking in progress now names the other procedure (its cookie was written again).
    assert "booking" in shown.cookies
    back = visitor.get(f"/book/p/{slot.procedure.slug}/")
    assert "booking" in back.cookies


def test_while_one_request_makes_the_page_the_others_wait_for_it_instead_of_making_it_too(
    redis_cache, frozen, settings
) -> None:
    import threading

    from django.http import HttpResponse as Response

    factories.slot(date(2026, 11, 26), places=1)
    procedure = factories.procedure()
    current = availability.version(procedure.pk)
    variant = "first:2026112510:ja:00:"
    # Another request has started making this version's page...
    assert redis_cache.add(f"avail-making:{procedure.pk}:{variant}:{current}", 1)

    def store() -> None:  # ...and stores it a moment later.
        availability.keep_page(procedure.pk, variant, current, Response(b"<p>made by the other request</p>"))

    timer = threading.Timer(0.05, store)
    timer.start()
    waited = Client().get("/book/p/jr-pass/")
    timer.join()
    assert timing(waited) == "calendar;desc=hit"
    assert waited.content == b"<p>made by the other request</p>"


def test_a_page_that_does_not_come_is_made_by_the_waiting_request(redis_cache, frozen) -> None:
    factories.slot(date(2026, 11, 26), places=1)
    procedure = factories.procedure()
    current = availability.version(procedure.pk)
    # A maker that failed: its claim stays, its page never comes.
    redis_cache.add(f"avail-making:{procedure.pk}:first:2026112510:ja:00::{current}", 1)
    made = Client().get("/book/p/jr-pass/")
    assert timing(made) == "calendar;desc=miss"
    assert 'href="/book/p/jr-pass/2026-11-26/"' in made.content.decode()
    assert timing(Client().get("/book/p/jr-pass/")) == "calendar;desc=hit"


def test_a_stored_page_is_served_only_to_an_allowed_host_and_only_for_the_calendars_own_address(
    redis_cache, frozen, settings
) -> None:
    factories.slot(date(2026, 11, 26), places=1)
    visitor = Client()
    visitor.get("/book/p/jr-pass/")
    assert timing(visitor.get("/book/p/jr-pass/")) == "calendar;desc=hit"
    # A Host the site does not answer to is refused before any stored page, as on every page.
    assert visitor.get("/book/p/jr-pass/", HTTP_HOST="evil.example").status_code == 400
    # An address that parses like the plain one is not stored for others: the page repeats its address.
    odd = visitor.get("/book/p/jr-pass/?" + "&" * 50)
    assert timing(odd) == "calendar;desc=miss"
    assert "%26%26" not in Client().get("/book/p/jr-pass/").content.decode()
