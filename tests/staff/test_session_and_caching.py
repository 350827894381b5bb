"""A staff session ends after an absolute lifetime as well as when idle; staff answers are never cached."""

from __future__ import annotations

from datetime import timedelta

import pytest
import time_machine

from tests import factories

pytestmark = pytest.mark.django_db


def test_an_active_staff_session_still_ends_after_its_absolute_lifetime(client, alice, settings) -> None:
    settings.STAFF_SESSION_MAX_AGE = 10 * 3600
    with time_machine.travel(factories.NOW, tick=False) as traveller:
        client.force_login(alice)
        assert client.get("/staff/day/").status_code == 200
        # Busy all day: a request every 25 minutes keeps the idle timeout away.
        for _ in range(23):
            traveller.shift(timedelta(minutes=25))
            assert client.get("/staff/day/").status_code == 200
        traveller.shift(timedelta(minutes=25))  # 10 h 0 min after the login
        response = client.get("/staff/day/")
        assert response.status_code == 302 and response["Location"].startswith("/accounts/login/?next=/staff/day/")
        assert "_auth_user_id" not in client.session
        assert client.get("/staff/day/").status_code == 302


def test_an_idle_staff_session_ends_after_the_idle_timeout(client, alice, settings) -> None:
    with time_machine.travel(factories.NOW, tick=False) as traveller:
        client.force_login(alice)
        assert client.get("/staff/day/").status_code == 200
        traveller.shift(timedelta(seconds=settings.SESSION_COOKIE_AGE + 60))
        assert client.get("/staff/day/").status_code == 302


@pytest.mark.parametrize(
    "url",
    ["/staff/day/", "/staff/day/2026-11-26/reservations.csv", "/staff/residents/"],
)
def test_staff_pages_and_exports_are_never_stored(clerk_client, frozen, url) -> None:
    response = clerk_client.get(url)
    assert response.status_code == 200
    assert "no-store" in response["Cache-Control"]


def test_the_login_page_and_pdfs_are_never_stored(client, supervisor_client, frozen, settings) -> None:
    settings.NOTICE_PREVIEW_SECONDS = 600  # a slow machine must not turn this into the time-limit page
    assert "no-store" in client.get("/accounts/login/")["Cache-Control"]
    factories.procedure()
    response = supervisor_client.get("/staff/notices/wording/preview.pdf")
    assert response["Content-Type"] == "application/pdf"
    assert "no-store" in response["Cache-Control"]
