"""Staff login: throttled per account first, per client address far more loosely, recorded, and atomic."""

from __future__ import annotations

import threading

import pytest
from django.db import connection
from django.test import Client

from staff.models import SecurityEvent
from tests.factories import PASSWORD


def login(client: Client, username: str, password: str, *, address: str = "203.0.113.9", forwarded: str = ""):
    extra = {"REMOTE_ADDR": address}
    if forwarded:
        extra["HTTP_X_FORWARDED_FOR"] = forwarded
    return client.post("/accounts/login/", {"username": username, "password": password}, **extra)


def kinds() -> list[str]:
    return list(SecurityEvent.objects.order_by("id").values_list("kind", flat=True))


def test_five_failures_lock_the_account_and_the_clerk_is_told_until_when(client, alice, frozen) -> None:
    for _ in range(5):
        assert "ログインできません" not in login(client, "alice", "wrong").content.decode()
    page = login(client, "alice", PASSWORD, address="198.51.100.7").content.decode()
    assert "このアカウントは 11月25日 10:15 までログインできません" in page
    assert "_auth_user_id" not in client.session
    assert kinds() == ["login_failed"] * 4 + ["login_failed", "locked", "throttled"]
    frozen.shift(15 * 60 + 1)
    assert login(client, "alice", PASSWORD).status_code == 302


def test_a_right_password_clears_the_account_failures(client, alice, frozen) -> None:
    for _ in range(4):
        login(client, "alice", "wrong")
    assert login(client, "alice", PASSWORD).status_code == 302
    client.logout()
    for _ in range(4):
        login(client, "alice", "wrong")
    assert login(client, "alice", PASSWORD).status_code == 302


def test_one_strangers_failures_never_lock_out_the_office_behind_the_same_proxy(client, alice, bob, settings) -> None:
    settings.BEHIND_PROXY = True
    settings.LOGIN_ADDRESS_FAILURE_LIMIT = 20
    proxy = "127.0.0.1"
    for n in range(25):
        login(client, f"guess{n}", "wrong", address=proxy, forwarded=f"10.9.9.9, 192.0.2.{n % 3 + 1}, 203.0.113.66")
    stranger = login(client, "guess99", "wrong", address=proxy, forwarded="203.0.113.66").content.decode()
    assert "この端末からのログインの失敗が多いため" in stranger
    # The office (another client address, same proxy) still logs in, whatever the stranger wrote in the header.
    assert login(client, "alice", PASSWORD, address=proxy, forwarded="203.0.113.66, 198.51.100.7").status_code == 302
    failed = SecurityEvent.objects.filter(kind="login_failed")
    assert set(failed.values_list("address", flat=True)) == {"203.0.113.66"}
    assert set(failed.values_list("detail", flat=True)) == {"登録のないユーザー名"}


def test_a_name_that_is_no_account_is_locked_the_same_way(client, db) -> None:
    for _ in range(5):
        login(client, "nobody", "wrong")
    assert "このアカウントは" in login(client, "nobody", "wrong").content.decode()


def test_logins_and_logouts_are_recorded_with_the_address(client, alice) -> None:
    login(client, "alice", PASSWORD)
    client.post("/accounts/logout/", REMOTE_ADDR="203.0.113.9")
    events = list(SecurityEvent.objects.order_by("id").values_list("kind", "user__username", "address"))
    assert events == [("login", "alice", "203.0.113.9"), ("logout", "alice", "203.0.113.9")]


@pytest.mark.django_db(transaction=True)
def test_thirty_wrong_passwords_at_once_check_only_five() -> None:
    from tests import factories

    factories.user("alice", "clerk")
    barrier = threading.Barrier(30)

    def attempt() -> None:
        try:
            barrier.wait(timeout=30)
            login(Client(), "alice", "wrong", address="198.51.100.1")
        finally:
            connection.close()

    threads = [threading.Thread(target=attempt) for _ in range(30)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert SecurityEvent.objects.filter(kind="login_failed").count() == 5
    assert SecurityEvent.objects.filter(kind="throttled").count() == 25
    assert login(Client(), "alice", PASSWORD).status_code == 200
