from datetime import date

import pytest

from certificates.models import AccessLog, Certificate, Resident
from tests import factories
from tests.conftest import verify_second_factor

pytestmark = pytest.mark.django_db

STAFF_URLS = ["/staff/residents/", "/staff/residents/new/", "/staff/certificates/expiring/"]


@pytest.mark.parametrize("url", STAFF_URLS + ["/staff/log/"])
def test_anonymous_visitors_are_sent_to_the_login_page(client, url) -> None:
    response = client.get(url)
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")


@pytest.mark.parametrize("url", STAFF_URLS)
def test_a_user_without_a_staff_role_is_refused(client, charlie, url) -> None:
    client.force_login(charlie)
    assert client.get(url).status_code == 403


@pytest.mark.parametrize("url", STAFF_URLS)
def test_clerks_and_supervisors_open_the_staff_pages(client, alice, bob, url) -> None:
    for user in (alice, bob):
        client.force_login(user)
        if user is bob:
            verify_second_factor(client, bob)
        assert client.get(url).status_code == 200


def test_only_the_supervisor_reads_the_access_log(client, alice, bob) -> None:
    client.force_login(alice)
    assert client.get("/staff/log/").status_code == 403
    client.force_login(bob)
    verify_second_factor(client, bob)
    assert client.get("/staff/log/").status_code == 200


def test_the_staff_header_shows_the_user_role_and_logout(clerk_client) -> None:
    html = clerk_client.get("/staff/residents/").content.decode()
    assert "alice（窓口職員）" in html
    assert "ログアウト" in html
    assert "閲覧記録" not in html  # supervisor-only navigation


@pytest.mark.parametrize("query", ["山田", "やまだ", "ﾔﾏﾀﾞ はなこ", "06-9999-0001", "０６９９９９０００１", "case-77"])
def test_search_finds_a_resident_by_name_kana_phone_or_case_number(clerk_client, query) -> None:
    resident = factories.resident(phone="06-9999-0001", phone_digits="0699990001", case_number="CASE-77")
    factories.resident(family_name="佐藤", family_name_kana="サトウ", given_name="一郎", given_name_kana="イチロウ")
    response = clerk_client.post("/staff/residents/", {"q": query})
    assert list(response.context["results"]) == [resident]


def test_a_search_is_logged_without_what_was_typed(clerk_client, alice) -> None:
    clerk_client.post("/staff/residents/", {"q": "山田"})
    log = AccessLog.objects.get(action="search")
    assert log.user == alice
    assert "山田" not in log.detail


def test_viewing_a_resident_is_logged_and_certificates_are_marked(clerk_client, alice, frozen) -> None:
    resident = factories.resident()
    factories.certificate(resident, issued_on=date(2026, 6, 20))  # expires 2026-12-20: within 60 days
    factories.certificate(resident, issued_on=date(2026, 1, 10))  # expired 2026-07-10
    response = clerk_client.get(f"/staff/residents/{resident.pk}/")
    html = response.content.decode()
    assert "まもなく期限" in html and "期限切れ" in html
    assert AccessLog.objects.filter(user=alice, action="view", resident=resident).count() == 1


def test_registering_through_the_form_keeps_the_input_on_error(clerk_client) -> None:
    data = {
        "family_name": "田中",
        "given_name": "陽子",
        "family_name_kana": "Tanaka",
        "given_name_kana": "ヨウコ",
        "birth_year": "1985",
        "birth_month": "2",
        "birth_day": "30",
        "postal_code": "530",
        "address": "大阪市",
        "phone": "06-1111-2222",
        "case_number": "N1",
    }
    response = clerk_client.post("/staff/residents/new/", data)
    assert response.status_code == 200
    html = response.content.decode()
    assert "入力内容を確認してください" in html
    assert "生年月日が正しい日付ではありません" in html
    assert 'value="田中"' in html
    assert not Resident.objects.exists()
    data.update(birth_day="28", postal_code="5300001", family_name_kana="たなか")
    response = clerk_client.post("/staff/residents/new/", data)
    resident = Resident.objects.get()
    assert response["Location"] == f"/staff/residents/{resident.pk}/"
    assert resident.birth_date == date(1985, 2, 28)


def test_issuing_through_the_form_refuses_an_old_photo_with_the_earliest_date(clerk_client, frozen) -> None:
    resident = factories.resident()
    kind = factories.letter_kind()
    response = clerk_client.post(
        f"/staff/residents/{resident.pk}/certificates/new/",
        {"kind": kind.pk, "issued_on": "2026-11-25", "photo_taken_on": "2026-05-01"},
    )
    assert response.status_code == 200
    assert "2026年5月25日以降" in response.content.decode()
    assert not Certificate.objects.exists()
    response = clerk_client.post(
        f"/staff/residents/{resident.pk}/certificates/new/",
        {"kind": kind.pk, "issued_on": "2026-11-25", "photo_taken_on": "2026-11-01"},
    )
    assert response.status_code == 302
    assert Certificate.objects.get().expires_on == date(2027, 5, 25)


def test_revoking_through_the_form_requires_a_reason(clerk_client, frozen) -> None:
    certificate = factories.certificate(issued_on=date(2026, 6, 1))
    response = clerk_client.post(f"/staff/certificates/{certificate.pk}/revoke/", {"reason": ""})
    assert response.status_code == 200
    certificate.refresh_from_db()
    assert certificate.status == "valid"
    clerk_client.post(f"/staff/certificates/{certificate.pk}/revoke/", {"reason": "転出"})
    certificate.refresh_from_db()
    assert certificate.status == "revoked"


def test_expiring_list_shows_the_chosen_month(clerk_client, frozen) -> None:
    due = factories.certificate(issued_on=date(2026, 7, 10))  # expires 2027-01-10
    factories.certificate(issued_on=date(2026, 9, 10))  # expires 2027-03-10
    response = clerk_client.get("/staff/certificates/expiring/", {"month": "2027-01"})
    assert [c.pk for c in response.context["rows"]] == [due.pk]
    response = clerk_client.get("/staff/certificates/expiring/", {"month": "2027-13"})
    assert "有効期限の月は、年-月の形で入力してください（例：2026-12）" in response.content.decode()


def test_the_supervisor_filters_and_exports_the_access_log(supervisor_client, alice) -> None:
    resident = factories.resident()
    AccessLog.objects.create(user=alice, action="view", resident=resident)
    response = supervisor_client.get("/staff/log/", {"user": "alice"})
    assert len(response.context["page"].object_list) == 1
    response = supervisor_client.get("/staff/log/", {"format": "csv"})
    body = response.content.decode("utf-8")
    assert body.startswith("\ufeff")
    assert "alice" in body


def test_a_staff_session_ends_after_thirty_idle_minutes(client, alice, settings) -> None:
    import time_machine

    from tests.factories import NOW, PASSWORD

    assert settings.SESSION_COOKIE_AGE == 30 * 60
    with time_machine.travel(NOW, tick=False) as traveller:
        client.post("/accounts/login/", {"username": "alice", "password": PASSWORD})
        traveller.shift(25 * 60)
        assert client.get("/staff/residents/").status_code == 200  # activity keeps the session
        traveller.shift(25 * 60)
        assert client.get("/staff/residents/").status_code == 200
        traveller.shift(31 * 60)
        assert client.get("/staff/residents/")["Location"].startswith("/accounts/login/")


def test_pages_carry_a_content_security_policy_without_unsafe_inline(client, db) -> None:
    policy = client.get("/")["Content-Security-Policy"]
    assert "default-src 'self'" in policy and "unsafe-inline" not in policy


def test_a_supervisor_must_set_up_an_authenticator_app(client, bob) -> None:
    from django_otp.oath import totp
    from django_otp.plugins.otp_totp.models import TOTPDevice

    from staff.otp import enrolment_link_issue

    client.force_login(bob)
    response = client.get("/staff/log/")
    assert response["Location"] == "/accounts/otp/setup/?next=/staff/log/"
    client.get(enrolment_link_issue(user=bob, by=None))  # a supervisor's first app needs a one-time link
    html = client.get(response["Location"]).content.decode()
    assert "<svg" in html
    device = TOTPDevice.objects.get(user=bob, confirmed=False)
    response = client.post("/accounts/otp/setup/", {"token": "000000", "next": "/staff/log/"})
    assert "確認コードが違います" in response.content.decode()
    device.refresh_from_db()
    device.throttle_reset()  # django-otp makes a retry wait after a wrong code
    token = f"{totp(device.bin_key):06d}"
    response = client.post("/accounts/otp/setup/", {"token": token, "next": "/staff/log/"})
    assert response["Location"] == "/staff/log/"
    assert client.get("/staff/log/").status_code == 200


def test_a_staff_member_with_an_authenticator_app_enters_its_code_after_the_password(client, alice) -> None:
    from django_otp.oath import totp
    from django_otp.plugins.otp_totp.models import TOTPDevice

    from tests.factories import PASSWORD

    device = TOTPDevice.objects.create(user=alice, name="phone", confirmed=True)
    client.post("/accounts/login/", {"username": "alice", "password": PASSWORD})
    response = client.get("/staff/residents/")
    assert response["Location"] == "/accounts/otp/?next=/staff/residents/"
    response = client.post("/accounts/otp/", {"token": "123456", "next": "/staff/residents/"})
    assert "確認コードが違うか" in response.content.decode()
    device.refresh_from_db()
    device.throttle_reset()  # django-otp makes a retry wait after a wrong code
    response = client.post("/accounts/otp/", {"token": f"{totp(device.bin_key):06d}", "next": "/staff/residents/"})
    assert response["Location"] == "/staff/residents/"
    assert client.get("/staff/residents/").status_code == 200


def test_a_clerk_without_an_authenticator_app_logs_in_with_the_password(clerk_client) -> None:
    assert clerk_client.get("/staff/residents/").status_code == 200


def test_the_resident_page_lists_reservations_and_letters(clerk_client, frozen) -> None:
    from notices.services import notice_batch_prepare

    resident = factories.resident()
    factories.certificate(resident, issued_on=date(2026, 8, 10))
    notice_batch_prepare(month=date(2027, 2, 1))
    html = clerk_client.get(f"/staff/residents/{resident.pk}/").content.decode()
    assert "<h2>予約</h2>" in html and "予約はありません" in html
    assert "<h2>お知らせ</h2>" in html and "2027年2月" in html
