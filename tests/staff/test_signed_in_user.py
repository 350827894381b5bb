"""Each staff page reads the signed-in user, their roles and whether they have an authenticator app in one query,
afresh on every request: a role taken away or an app registered counts from the next page on."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import Group
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django_otp.plugins.otp_totp.models import TOTPDevice

from tests.conftest import verify_second_factor

pytestmark = pytest.mark.django_db

ACCOUNT_TABLES = ("auth_user", "auth_group", "otp_totp_totpdevice")


def _account_queries(client, path: str = "/staff/day/2026-11-26/") -> list[str]:
    with CaptureQueriesContext(connection) as captured:
        client.get(path)
    return [q["sql"] for q in captured.captured_queries if any(table in q["sql"] for table in ACCOUNT_TABLES)]


def test_a_clerk_without_an_app_costs_one_query_for_account_roles_and_app(clerk_client, frozen) -> None:
    clerk_client.get("/staff/day/2026-11-26/")
    assert len(_account_queries(clerk_client)) == 1


def test_a_verified_supervisor_costs_one_query_more_for_the_app_that_verified_the_session(
    supervisor_client, frozen
) -> None:
    supervisor_client.get("/staff/day/2026-11-26/")
    assert len(_account_queries(supervisor_client)) == 2


def test_a_role_taken_away_refuses_the_next_page(clerk_client, alice, frozen) -> None:
    assert clerk_client.get("/staff/day/2026-11-26/").status_code == 200
    alice.groups.remove(Group.objects.get(name="clerk"))
    assert clerk_client.get("/staff/day/2026-11-26/").status_code == 403


def test_a_supervisor_role_given_shows_the_supervisor_pages_from_the_next_page(clerk_client, alice, frozen) -> None:
    verify_second_factor(clerk_client, alice)
    assert clerk_client.get("/staff/calendar/").status_code == 403
    alice.groups.add(Group.objects.get(name="supervisor"))
    assert clerk_client.get("/staff/calendar/").status_code == 200


def test_a_clerk_who_registers_an_app_is_asked_for_its_code_from_the_next_page(clerk_client, alice, frozen) -> None:
    assert clerk_client.get("/staff/day/2026-11-26/").status_code == 200
    TOTPDevice.objects.create(user=alice, name="認証アプリ", confirmed=True)
    response = clerk_client.get("/staff/day/2026-11-26/")
    assert response.status_code == 302 and response["Location"].startswith("/accounts/otp/")


def test_a_switched_off_account_is_signed_out(clerk_client, alice, frozen) -> None:
    alice.is_active = False
    alice.save(update_fields=["is_active"])
    response = clerk_client.get("/staff/day/2026-11-26/")
    assert response.status_code == 302 and response["Location"].startswith("/accounts/login/")
