"""Two-factor login: a code counts once, the session key changes, and only staff enrol (supervisors by link)."""

from __future__ import annotations

import io
import threading
import time
from datetime import timedelta

import pytest
from django.core.management import call_command
from django.db import connection
from django.test import Client
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice

from staff.models import EnrolmentLink, SecurityEvent
from staff.otp import enrolment_link_issue
from tests import factories
from tests.factories import PASSWORD


def code(device: TOTPDevice) -> str:
    device.refresh_from_db()
    return f"{totp(device.bin_key):06d}"


def test_a_supervisor_cannot_enrol_without_a_link_and_no_device_is_made(client, bob) -> None:
    client.force_login(bob)
    response = client.get("/staff/log/")
    assert response["Location"] == "/accounts/otp/setup/?next=/staff/log/"
    response = client.get(response["Location"])
    assert response.status_code == 403
    assert "登録用リンクが必要です" in response.content.decode()
    assert not TOTPDevice.objects.filter(user=bob).exists()


def test_a_supervisor_enrols_with_a_link_from_another_supervisor_once(client, bob, frozen) -> None:
    dora = factories.user("dora", "supervisor")
    path = enrolment_link_issue(user=bob, by=dora)
    client.force_login(bob)
    assert client.get(path)["Location"] == "/accounts/otp/setup/"
    assert "<svg" in client.get("/accounts/otp/setup/").content.decode()
    device = TOTPDevice.objects.get(user=bob, confirmed=False)
    response = client.post("/accounts/otp/setup/", {"token": code(device), "next": "/staff/log/"})
    assert response["Location"] == "/staff/log/"
    assert client.get("/staff/log/").status_code == 200
    assert EnrolmentLink.objects.get().used_at is not None
    assert client.get(path).status_code == 404  # used
    kinds = list(
        SecurityEvent.objects.exclude(kind="login").order_by("id").values_list("kind", "user__username", "by__username")
    )
    assert kinds == [("enrol_link", "bob", "dora"), ("otp_enrolled", "bob", None)]


def test_a_link_works_only_for_its_own_account_and_only_until_it_expires(client, bob, frozen) -> None:
    dora = factories.user("dora", "supervisor")
    path = enrolment_link_issue(user=bob, by=None)
    client.force_login(dora)
    assert client.get(path).status_code == 404
    frozen.shift(timedelta(hours=72, seconds=1))
    client.force_login(bob)
    assert client.get(path).status_code == 404
    assert client.get("/accounts/otp/setup/").status_code == 403


def test_a_new_link_replaces_the_unused_one(client, bob) -> None:
    first = enrolment_link_issue(user=bob, by=None)
    second = enrolment_link_issue(user=bob, by=None)
    client.force_login(bob)
    assert client.get(first).status_code == 404
    assert client.get(second).status_code == 302


def test_only_staff_may_register_an_authenticator_app(client, charlie) -> None:
    client.force_login(charlie)
    assert client.get("/accounts/otp/setup/").status_code == 403
    assert not TOTPDevice.objects.filter(user=charlie).exists()


def test_a_clerk_may_register_an_app_without_a_link(clerk_client, alice) -> None:
    assert clerk_client.get("/accounts/otp/setup/").status_code == 200
    device = TOTPDevice.objects.get(user=alice)
    assert clerk_client.post("/accounts/otp/setup/", {"token": code(device)}).status_code == 302
    assert TOTPDevice.objects.get(user=alice).confirmed


def test_the_session_key_changes_when_the_second_factor_is_passed(client, alice) -> None:
    device = TOTPDevice.objects.create(user=alice, name="phone", confirmed=True)
    client.post("/accounts/login/", {"username": "alice", "password": PASSWORD})
    before = client.session.session_key
    response = client.post("/accounts/otp/", {"token": code(device), "next": "/staff/residents/"})
    assert response["Location"] == "/staff/residents/"
    assert client.session.session_key != before
    assert client.get("/staff/residents/").status_code == 200
    assert list(SecurityEvent.objects.order_by("id").values_list("kind", flat=True)) == ["login", "otp_passed"]


def test_a_wrong_code_is_recorded(client, alice) -> None:
    TOTPDevice.objects.create(user=alice, name="phone", confirmed=True)
    client.force_login(alice)
    client.post("/accounts/otp/", {"token": "000000"})
    assert SecurityEvent.objects.filter(kind="otp_failed", user=alice).count() == 1


@pytest.mark.django_db(transaction=True)
def test_one_code_posted_by_eight_sessions_at_once_is_accepted_once(monkeypatch) -> None:
    from django_otp.oath import TOTP

    checked = TOTP.verify

    def slow_verify(self, *args, **kwargs):
        time.sleep(0.05)
        return checked(self, *args, **kwargs)

    monkeypatch.setattr(TOTP, "verify", slow_verify)
    bob = factories.user("bob", "supervisor")
    device = TOTPDevice.objects.create(user=bob, name="phone", confirmed=True)
    sessions = []
    for _ in range(8):
        session = Client()
        session.force_login(bob)
        sessions.append(session)
    token = code(device)
    barrier = threading.Barrier(len(sessions))
    accepted, lock = [], threading.Lock()

    def post(session: Client) -> None:
        try:
            barrier.wait(timeout=30)
            response = session.post("/accounts/otp/", {"token": token, "next": "/staff/log/"})
            with lock:
                accepted.append(response.status_code == 302)
        finally:
            connection.close()

    threads = [threading.Thread(target=post, args=(s,)) for s in sessions]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert sorted(accepted) == [False] * 7 + [True]
    assert [s.get("/staff/log/").status_code for s in sessions].count(200) == 1


def test_the_command_prints_a_working_link_for_the_first_supervisor(client, bob, settings) -> None:
    out = io.StringIO()
    call_command("staff_enrolment_link", "bob", stdout=out)
    url = out.getvalue().strip()
    assert url.startswith("http://testserver/accounts/otp/enrol/")
    client.force_login(bob)
    assert client.get(url.removeprefix("http://testserver"))["Location"] == "/accounts/otp/setup/"
    assert SecurityEvent.objects.get(kind="enrol_link").detail == "管理コマンドで発行"


def test_the_command_refuses_an_account_without_a_staff_role(charlie) -> None:
    from django.core.management.base import CommandError

    with pytest.raises(CommandError):
        call_command("staff_enrolment_link", "charlie", stdout=io.StringIO())
