"""Supervisor pages: staff accounts (lift a lock-out, issue an enrolment link) and the security record."""

from __future__ import annotations

import pytest

from staff.models import SecurityEvent
from tests import factories
from tests.factories import PASSWORD


@pytest.mark.parametrize("url", ["/staff/accounts/", "/staff/security-log/"])
def test_only_supervisors_see_the_account_pages(clerk_client, url) -> None:
    assert clerk_client.get(url).status_code == 403


def test_a_supervisor_sees_until_when_an_account_is_locked_and_lifts_it(supervisor_client, alice, frozen) -> None:
    from django.test import Client

    desk = Client()
    for _ in range(5):
        desk.post("/accounts/login/", {"username": "alice", "password": "wrong"})
    page = supervisor_client.get("/staff/accounts/").content.decode()
    assert "11月25日 10:15 まで一時停止中" in page
    response = supervisor_client.post(f"/staff/accounts/{alice.pk}/unlock/")
    assert response["Location"] == "/staff/accounts/"
    assert "一時停止中" not in supervisor_client.get("/staff/accounts/").content.decode()
    assert desk.post("/accounts/login/", {"username": "alice", "password": PASSWORD}).status_code == 302
    unlock = SecurityEvent.objects.get(kind="unlocked")
    assert (unlock.user.username, unlock.by.username) == ("alice", "bob")


def test_a_supervisor_issues_a_link_for_another_but_not_for_themself(supervisor_client, bob) -> None:
    dora = factories.user("dora", "supervisor")
    page = supervisor_client.post(f"/staff/accounts/{dora.pk}/enrolment-link/")
    assert page["Cache-Control"] == "no-store"
    assert "http://testserver/accounts/otp/enrol/" in page.content.decode()
    response = supervisor_client.post(f"/staff/accounts/{bob.pk}/enrolment-link/", follow=True)
    assert "自分あての登録用リンクは発行できません" in response.content.decode()
    assert SecurityEvent.objects.filter(kind="enrol_link").count() == 1


def test_the_security_record_filters_by_kind_person_day_and_address(supervisor_client, alice) -> None:
    from django.test import Client

    client = Client()
    client.post("/accounts/login/", {"username": "alice", "password": "wrong"}, REMOTE_ADDR="198.51.100.4")
    client.post("/accounts/login/", {"username": "alice", "password": PASSWORD}, REMOTE_ADDR="198.51.100.4")
    page = supervisor_client.get("/staff/security-log/", {"kind": "login_failed"})
    assert [e.kind for e in page.context["page"]] == ["login_failed"]
    page = supervisor_client.get("/staff/security-log/", {"user": "alice", "address": "198.51.100."})
    assert sorted(e.kind for e in page.context["page"]) == ["login", "login_failed"]
    page = supervisor_client.get("/staff/security-log/", {"day": "2000-01-01"})
    assert list(page.context["page"]) == []
    assert "ログイン失敗" in supervisor_client.get("/staff/security-log/").content.decode()
