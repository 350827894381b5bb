"""The resident's pages beyond the booking steps themselves: messages, the calendar's first month, the done page,
needs at the counter, English with a Latin name, the error pages."""

from __future__ import annotations

import re
from datetime import date, time

import pytest
from django.urls import path

from reservations.models import Reservation
from tests import factories
from tests.reservations.helpers import CONTACT, ack_data

pytestmark = pytest.mark.django_db

THURSDAY = date(2026, 11, 26)


@pytest.fixture
def slot(frozen):
    return factories.slot(THURSDAY, time(9, 0), places=2)


def to_details(client, slot) -> None:
    client.post(f"/book/p/jr-pass/{THURSDAY}/", {"slot": slot.pk})
    client.post("/book/acknowledgements/", ack_data(slot.procedure))


def test_empty_details_get_a_summary_that_names_and_links_each_field(client, slot) -> None:
    to_details(client, slot)
    html = client.post("/book/details/", {**CONTACT, "family_name": "", "phone": "", "email": "yoko@"}).content.decode()
    summary = html[html.index('class="error-summary"') : html.index("</div>", html.index('class="error-summary"'))]
    assert '<a href="#id_family_name">姓を入力してください。</a>' in summary
    assert '<a href="#id_phone">電話番号を入力してください。</a>' in summary
    assert "例：madoguchi@example.jp" in summary
    assert "このフィールドは必須です" not in html
    # The field keeps what was typed, and its own message sits under it.
    assert 'value="たなか"' in html
    assert re.search(r'id="id_phone"[^>]*aria-invalid="true"', html) or 'aria-invalid="true"' in html
    assert not Reservation.objects.exists()


def test_an_unticked_statement_is_named_shortly_in_the_summary(client, slot) -> None:
    client.post(f"/book/p/jr-pass/{THURSDAY}/", {"slot": slot.pk})
    # A browser always sends the CSRF token, so the form is never posted empty.
    html = client.post("/book/acknowledgements/", {"csrfmiddlewaretoken": "x"}).content.decode()
    summary = html[html.index('class="error-summary"') : html.index("</div>", html.index('class="error-summary"'))]
    items = re.findall(r"<li><a [^>]*>([^<]*)</a></li>", summary)
    assert len(items) == 2
    assert items[0].startswith("確認事項1「") and items[0].endswith("…」を読んで、チェックを入れてください。")
    assert len(items[0]) < 45  # one line on a phone, not the whole statement


def test_a_staff_form_gets_the_same_summary(clerk_client, frozen) -> None:
    resident = factories.resident()
    html = clerk_client.post(f"/staff/residents/{resident.pk}/certificates/new/", {"issued_on": "12/3"})
    html = html.content.decode()
    assert 'class="error-summary"' in html
    assert "交付日は、年-月-日の形で入力してください（例：2026-12-03）。" in html


def caption(html: str) -> str:
    return re.search(r"<caption><h2>([^<]*)</h2></caption>", html).group(1)


def test_the_calendar_opens_on_the_first_month_with_a_free_place(client, frozen) -> None:
    factories.slot(date(2026, 11, 27), places=1, booked=1)  # November's only day is full
    factories.slot(date(2026, 12, 3), places=2)
    html = client.get("/book/p/jr-pass/").content.decode()
    assert caption(html) == "2026年12月"
    assert '<a href="/book/p/jr-pass/2026-12-03/">' in html
    # The months stay reachable: back to November, and November when asked for.
    assert 'href="?month=2026-11"' in html
    assert caption(client.get("/book/p/jr-pass/?month=2026-11").content.decode()) == "2026年11月"


def test_the_calendar_opens_on_this_month_when_it_has_a_free_place(client, frozen) -> None:
    factories.slot(date(2026, 11, 27), places=2)
    factories.slot(date(2026, 12, 3), places=2)
    assert caption(client.get("/book/p/jr-pass/").content.decode()) == "2026年11月"


def test_a_month_not_open_yet_says_from_when_it_can_be_booked(client, frozen) -> None:
    factories.slot(date(2026, 12, 3), places=2)
    html = client.get("/book/p/jr-pass/?month=2027-03").content.decode()
    assert "2027年3月の日は、2026年12月31日（木）から予約できます。" in html
    assert caption(html) == "2026年12月"


def test_the_english_calendar_names_the_month(client, frozen) -> None:
    factories.slot(date(2026, 12, 3), places=2)
    client.get("/language/en/?next=/")
    html = client.get("/book/p/jr-pass/").content.decode()
    assert caption(html) == "December 2026"
    html = client.get("/book/p/jr-pass/?month=2027-03").content.decode()
    assert "Days in March 2027 can be booked from Thu 31 December 2026." in html


def test_a_missing_page_is_friendly_in_both_languages(client, frozen) -> None:
    factories.ensure_defaults()
    response = client.get("/no-such-page/")
    assert response.status_code == 404
    html = response.content.decode()
    assert "ページが見つかりません" in html and 'href="/book/code/"' in html and 'href="/reservation/"' in html
    assert 'rel="icon"' in html
    client.get("/language/en/?next=/")
    html = client.get("/book/p/no-such-procedure/").content.decode()
    assert "Page not found" in html and "Book with a code" in html


def test_the_error_page_renders_without_a_request_or_the_database() -> None:
    from django.template import Context, loader

    # Django's server_error renders 500.html with a bare Context: no request, no context processors.
    html = loader.get_template("500.html").template.render(Context({}))
    assert "ただいま表示できません" in html and "Something went wrong" in html
    assert 'href="/reservation/"' in html


def broken(request):
    raise RuntimeError("the database is down")


urlpatterns = [path("boom/", broken)]


def test_a_server_error_shows_the_error_page(client, settings) -> None:
    settings.ROOT_URLCONF = __name__
    client.raise_request_exception = False
    response = client.get("/boom/")
    assert response.status_code == 500
    assert "ただいま表示できません" in response.content.decode()


def test_the_favicon_is_linked_and_served_at_the_root(client, frozen) -> None:
    factories.ensure_defaults()
    response = client.get("/favicon.ico")
    assert response.status_code == 302
    assert response["Location"].endswith(".ico")
    html = client.get("/").content.decode()
    assert 'rel="icon" href="/static/favicon' in html
