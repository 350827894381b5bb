"""The supervisor keeps staff accounts on staff pages: create, switch off, reset the second factor."""

from __future__ import annotations

import re
from datetime import date

import pytest
from django.contrib.auth import get_user_model
from django.test import Client
from django_otp.plugins.otp_totp.models import TOTPDevice

from reservations import availability, staffing
from reservations.models import RotaLog, Slot, UnstaffedBooking
from staff.models import EnrolmentLink, SecurityEvent
from tests import factories
from tests.factories import PASSWORD
from tests.reservations.test_rota import make_booking, one_morning_slot_hours

pytestmark = pytest.mark.django_db

THURSDAY = date(2026, 11, 26)
NEW_PASSWORD = "kawa-no-nagare-7"


@pytest.mark.parametrize(
    ("method", "url"),
    [
        ("get", "/staff/accounts/new/"),
        ("post", "/staff/accounts/new/"),
        ("get", "/staff/accounts/{pk}/deactivate/"),
        ("post", "/staff/accounts/{pk}/deactivate/"),
        ("post", "/staff/accounts/{pk}/second-factor/reset/"),
    ],
)
def test_a_clerk_cannot_use_the_account_pages(clerk_client, bob, method, url) -> None:
    response = getattr(clerk_client, method)(url.format(pk=bob.pk), {"username": "x", "family_name": "x"})
    assert response.status_code == 403
    assert get_user_model().objects.get(pk=bob.pk).is_active
    assert not get_user_model().objects.filter(username="x").exists()


def test_the_supervisor_creates_a_clerk_who_sets_a_password_with_the_link(supervisor_client, bob, frozen) -> None:
    response = supervisor_client.post(
        "/staff/accounts/new/",
        {"family_name": "佐藤", "given_name": "花子", "username": "sato.hanako", "role": "clerk", "start": "link"},
    )
    assert response.status_code == 200
    assert response["Cache-Control"] == "no-store"
    page = response.content.decode()
    assert "佐藤 花子さんのアカウント（sato.hanako）を作成しました" in page
    link = re.search(r"http://testserver(/accounts/password/set/[^<\s]+)", page).group(1)
    sato = get_user_model().objects.get(username="sato.hanako")
    assert (sato.last_name, sato.first_name, sato.is_active) == ("佐藤", "花子", True)
    assert list(sato.groups.values_list("name", flat=True)) == ["clerk"]
    assert not sato.has_usable_password()

    desk = Client()
    form_page = desk.get(link, follow=True)
    assert "佐藤 花子さん（ユーザー名 sato.hanako）" in form_page.content.decode()
    done = desk.post(form_page.redirect_chain[-1][0], {"new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD})
    assert done["Location"] == "/accounts/login/"
    assert desk.post("/accounts/login/", {"username": "sato.hanako", "password": NEW_PASSWORD}).status_code == 302
    # The link works once.
    assert "このリンクは使えません" in Client().get(link, follow=True).content.decode()
    kinds = list(SecurityEvent.objects.filter(user=sato).order_by("id").values_list("kind", "by__username"))
    assert kinds[:4] == [
        ("account_created", "bob"),
        ("password_link", "bob"),
        ("password_set", None),
        ("login", None),
    ]


def test_the_supervisor_creates_a_supervisor_with_a_first_password(supervisor_client) -> None:
    response = supervisor_client.post(
        "/staff/accounts/new/",
        {
            "family_name": "高橋",
            "given_name": "",
            "username": "takahashi",
            "role": "supervisor",
            "start": "password",
            "password": NEW_PASSWORD,
        },
    )
    assert "パスワード設定用リンク" not in response.content.decode()
    takahashi = get_user_model().objects.get(username="takahashi")
    assert takahashi.check_password(NEW_PASSWORD)
    assert list(takahashi.groups.values_list("name", flat=True)) == ["supervisor"]


@pytest.mark.parametrize(
    ("posted", "message"),
    [
        ({"username": "alice"}, "このユーザー名はすでに使われています"),
        ({"username": "ALICE"}, "このユーザー名はすでに使われています"),
        ({"username": "sato hanako"}, "ユーザー名"),
        ({"family_name": ""}, "姓を入力してください。"),
        ({"start": "password", "password": ""}, "初期パスワードを入力するか"),
        ({"start": "password", "password": "password"}, "パスワード"),
        ({"role": "admin"}, "役割は、表示されている選択肢から選んでください。"),
    ],
)
def test_a_bad_new_account_is_refused_with_a_message_and_nothing_is_made(
    supervisor_client, alice, posted, message
) -> None:
    before = get_user_model().objects.count()
    data = {"family_name": "佐藤", "given_name": "花子", "username": "sato", "role": "clerk", "start": "link", **posted}
    response = supervisor_client.post("/staff/accounts/new/", data)
    assert response.status_code == 200
    page = response.content.decode()
    assert "入力内容を確認してください" in page and message in page
    assert get_user_model().objects.count() == before
    assert not SecurityEvent.objects.filter(kind="account_created").exists()


def test_switching_a_clerk_off_restaffs_their_bookings_at_once_and_they_cannot_log_in(
    supervisor_client, bob, frozen, django_capture_on_commit_callbacks
) -> None:
    procedure = factories.procedure()
    one_morning_slot_hours(procedure, places=2)
    sato, ito = factories.clerk("sato", family_name="佐藤"), factories.clerk("ito", family_name="伊藤")
    factories.weekly(sato, weekdays=[3, 4])
    factories.weekly(ito, weekdays=[3])
    staffing.slots_sync(procedure=procedure, start=THURSDAY, end=date(2026, 11, 27))
    thursday = make_booking(Slot.objects.get(day=THURSDAY), sato)
    friday = make_booking(Slot.objects.get(day=date(2026, 11, 27)), sato)
    sato_desk = Client()
    sato_desk.force_login(sato)
    assert sato_desk.get("/staff/mine/").status_code == 200
    version = availability.version(procedure.pk)

    confirm = supervisor_client.get(f"/staff/accounts/{sato.pk}/deactivate/").content.decode()
    assert "担当者が不在の予約" in confirm
    with django_capture_on_commit_callbacks(execute=True):
        response = supervisor_client.post(f"/staff/accounts/{sato.pk}/deactivate/", follow=True)
    page = response.content.decode()
    assert "sato さんのアカウントを無効にしました" in page
    assert f"予約 {thursday.display_number}" in page and "伊藤" in page
    assert "交代できる担当者がいない予約が1件あります" in page

    thursday.refresh_from_db()
    assert thursday.clerk == ito
    assert UnstaffedBooking.objects.filter(reservation=friday, resolved_at__isnull=True).exists()
    # Places computed again without Sato, at once; the public calendar's cached months are stale.
    places = dict(Slot.objects.filter(day__lte=date(2026, 11, 27)).values_list("day", "rota_places"))
    assert places == {THURSDAY: 1, date(2026, 11, 27): 0}
    assert availability.version(procedure.pk) > version
    # The open session ends, and no new one starts.
    assert sato_desk.get("/staff/mine/")["Location"].startswith("/accounts/login/")
    assert Client().post("/accounts/login/", {"username": "sato", "password": PASSWORD}).status_code == 200
    assert SecurityEvent.objects.filter(kind="deactivated", user=sato, by=bob).count() == 1
    assert RotaLog.objects.filter(action="deactivated", clerk=sato, actor=bob).count() == 1
    assert "無効のアカウント" in supervisor_client.get("/staff/accounts/").content.decode()
    # Twice is refused; the record keeps one entry.
    supervisor_client.post(f"/staff/accounts/{sato.pk}/deactivate/")
    assert SecurityEvent.objects.filter(kind="deactivated", user=sato).count() == 1


def test_a_supervisor_cannot_switch_themself_off(supervisor_client, bob) -> None:
    response = supervisor_client.post(f"/staff/accounts/{bob.pk}/deactivate/", follow=True)
    assert "自分のアカウントは無効にできません" in response.content.decode()
    bob.refresh_from_db()
    assert bob.is_active
    assert not SecurityEvent.objects.filter(kind="deactivated").exists()


def test_resetting_the_second_factor_removes_the_app_and_hands_out_a_new_enrolment_link(
    supervisor_client, bob, frozen
) -> None:
    dora = factories.user("dora", "supervisor")
    TOTPDevice.objects.create(user=dora, name="古い電話", confirmed=True)
    page = supervisor_client.get("/staff/accounts/").content.decode()
    assert 'aria-label="doraさんの二段階認証をリセット"' in page
    response = supervisor_client.post(f"/staff/accounts/{dora.pk}/second-factor/reset/")
    assert response["Cache-Control"] == "no-store"
    assert "http://testserver/accounts/otp/enrol/" in response.content.decode()
    assert not TOTPDevice.objects.filter(user=dora).exists()
    assert EnrolmentLink.objects.filter(user=dora, used_at__isnull=True).count() == 1
    kinds = list(SecurityEvent.objects.filter(user=dora).order_by("id").values_list("kind", "by__username"))
    assert kinds == [("otp_reset", "bob"), ("enrol_link", "bob")]
    # Until the new app is registered, dora cannot open the supervisor's pages.
    desk = Client()
    desk.post("/accounts/login/", {"username": "dora", "password": PASSWORD})
    assert desk.get("/staff/accounts/")["Location"].startswith("/accounts/otp/setup/")


def test_a_supervisor_cannot_reset_their_own_second_factor(supervisor_client, bob) -> None:
    response = supervisor_client.post(f"/staff/accounts/{bob.pk}/second-factor/reset/", follow=True)
    assert "自分の二段階認証はリセットできません" in response.content.decode()
    assert TOTPDevice.objects.filter(user=bob).exists()
