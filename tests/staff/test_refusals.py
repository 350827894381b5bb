"""A refused page says why in Japanese, with the staff menu for staff; a stale form says to reload."""

from __future__ import annotations

import base64
import re

import pytest
from django.test import Client
from django_otp.plugins.otp_totp.models import TOTPDevice

from staff.roles import NOT_STAFF, NOT_SUPERVISOR

pytestmark = pytest.mark.django_db

MENU = 'aria-label="職員メニュー"'


def test_a_clerk_refused_a_supervisor_page_is_told_why_and_keeps_the_menu(clerk_client) -> None:
    response = clerk_client.get("/staff/calendar/")
    html = response.content.decode()
    assert response.status_code == 403
    assert "このページは表示できません" in html and NOT_SUPERVISOR in html
    assert MENU in html and 'href="/staff/day/"' in html
    assert "Forbidden" not in html


def test_an_account_without_a_staff_role_is_told_to_ask_for_one_and_can_log_out(client, charlie) -> None:
    client.force_login(charlie)
    response = client.get("/staff/day/")
    html = response.content.decode()
    assert response.status_code == 403
    assert NOT_STAFF in html
    assert MENU not in html
    assert 'action="/accounts/logout/"' in html


def test_a_form_sent_with_a_stale_token_says_to_reload_in_japanese(alice) -> None:
    browser = Client(enforce_csrf_checks=True, HTTP_REFERER="http://testserver/staff/book/")
    browser.force_login(alice)
    response = browser.post("/staff/walk-in/", {"procedure": "1", "served": "on"})
    html = response.content.decode()
    assert response.status_code == 403
    assert "ページを再読み込みしてから、もう一度送信してください" in html
    assert "保存されていません" in html
    assert 'href="http://testserver/staff/book/"' in html
    assert MENU in html and "CSRF" not in html


def test_the_reload_page_never_links_to_another_site(alice) -> None:
    browser = Client(enforce_csrf_checks=True, HTTP_REFERER="https://evil.example/")
    browser.force_login(alice)
    html = browser.post("/staff/walk-in/", {}).content.decode()
    assert "evil.example" not in html


def test_the_authenticator_set_up_page_has_no_menu_and_groups_the_key_by_four(clerk_client, alice) -> None:
    response = clerk_client.get("/accounts/otp/setup/")
    html = response.content.decode()
    assert response.status_code == 200
    assert MENU not in html
    device = TOTPDevice.objects.get(user=alice, confirmed=False)
    key = base64.b32encode(device.bin_key).decode().rstrip("=")
    shown = re.search(r'<code class="url otp-key">([^<]+)</code>', html)[1]
    assert shown.replace(" ", "") == key
    assert all(len(group) == 4 for group in shown.split(" ")[:-1])
    assert len(shown.split(" ")) == (len(key) + 3) // 4
