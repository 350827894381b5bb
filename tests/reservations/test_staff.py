import re
from datetime import date, time

import pytest

from certificates.models import Certificate
from reservations.booking import Contact, reservation_book
from reservations.models import CalendarDay, Reservation, Slot, WalkIn
from tests import factories
from tests.conftest import verify_second_factor

pytestmark = pytest.mark.django_db

THURSDAY = date(2026, 11, 26)


def make_booking(slot, phone: str = "090-2222-0001", **kwargs) -> Reservation:
    acks = list(slot.procedure.acknowledgements.values_list("pk", flat=True))
    return reservation_book(
        procedure=slot.procedure,
        slot_id=slot.pk,
        acknowledged=acks,
        contact=Contact("佐藤", "花子", "サトウ", "ハナコ", phone),
        **kwargs,
    )


@pytest.mark.parametrize(
    "url", ["/staff/day/", "/staff/day/2026-11-26/", "/staff/book/", "/staff/day/2026-11-26/reservations.csv"]
)
def test_staff_pages_need_a_staff_login(client, charlie, url) -> None:
    assert client.get(url)["Location"].startswith("/accounts/login/")
    client.force_login(charlie)
    assert client.get(url).status_code == 403


def test_the_calendar_settings_are_for_the_supervisor_only(client, alice, bob) -> None:
    client.force_login(alice)
    assert client.get("/staff/calendar/").status_code == 403
    client.force_login(bob)
    verify_second_factor(client, bob)
    assert client.get("/staff/calendar/").status_code == 200


def test_the_day_list_shows_each_appointment_with_its_resident_and_certificate(clerk_client, frozen) -> None:
    slot = factories.slot(THURSDAY, time(9, 0))
    resident = factories.resident(case_number="CASE-9")
    certificate = factories.certificate(resident, issued_on=date(2026, 6, 10))
    reservation = make_booking(slot)
    Reservation.objects.filter(pk=reservation.pk).update(resident=resident, certificate=certificate)
    html = clerk_client.get("/staff/day/2026-11-26/").content.decode()
    assert reservation.display_number in html
    assert "佐藤 花子" in html and "サトウ ハナコ" in html
    assert "CASE-9" in html
    assert "期限 2026年12月10日（木）" in html
    assert "写真 2026年5月26日（火）以降" in html
    assert 'href="/staff/day/2026-11-25/"' in html and 'href="/staff/day/2026-11-27/"' in html


def test_the_day_list_escapes_what_people_typed_and_offers_each_status_its_buttons(clerk_client, frozen) -> None:
    slot = factories.slot(THURSDAY, time(9, 0), places=3)
    booked = make_booking(slot, "090-5000-0001")
    Reservation.objects.filter(pk=booked.pk).update(
        family_name="<script>alert(1)</script>", notes="車いす\n<b>同行者</b>あり", pass_user_name="佐藤 & 子"
    )
    arrived = make_booking(slot, "090-5000-0002")
    Reservation.objects.filter(pk=arrived.pk).update(status=Reservation.Status.ARRIVED)
    absent = make_booking(slot, "090-5000-0003")
    Reservation.objects.filter(pk=absent.pk).update(status=Reservation.Status.NO_SHOW)
    html = clerk_client.get("/staff/day/2026-11-26/").content.decode()
    assert "<script>alert(1)</script>" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "車いす<br>&lt;b&gt;同行者&lt;/b&gt;あり" in html
    assert "使用者：佐藤 &amp; 子" in html
    for number, expected in ((booked, "booked"), (arrived, "arrived"), (absent, "no_show")):
        assert f'action="/staff/reservations/{number.pk}/status/"' in html
        assert f'name="expected" value="{expected}"' in html
    assert f'action="/staff/reservations/{arrived.pk}/called/"' in html
    assert f'href="/staff/reservations/{arrived.pk}/issue/"' in html
    # One form for each state's status buttons (booked: arrived, no-show, cancelled), plus call (arrived).
    assert html.count('name="csrfmiddlewaretoken"') == 1 + 2 + 1 + html.count('action="/accounts/logout/"')
    booked_row = html[html.index(f'id="r-{booked.pk}"') :].split("</tr>", 1)[0]
    buttons = re.findall(r'<button class="button" name="status" value="(\w+)">', booked_row)
    assert buttons == ["arrived", "no_show", "cancelled"]
    assert booked_row.count("<form ") == 1
    # A status change from the list still passes the CSRF check.
    from django.test import Client

    strict = Client(enforce_csrf_checks=True)
    strict.cookies = clerk_client.cookies
    page = strict.get("/staff/day/2026-11-26/").content.decode()
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page).group(1)
    done = strict.post(
        f"/staff/reservations/{booked.pk}/status/",
        {"csrfmiddlewaretoken": token, "expected": "booked", "status": "cancelled"},
    )
    assert done.status_code == 302
    assert Reservation.objects.get(pk=booked.pk).status == Reservation.Status.CANCELLED


def test_the_day_list_query_count_does_not_grow_with_reservations(clerk_client, frozen) -> None:
    slots = [factories.slot(THURSDAY, time(9 + i // 2, 30 * (i % 2)), places=5) for i in range(6)]
    make_booking(slots[0], "090-3000-0000")
    clerk_client.get("/staff/day/2026-11-26/")  # warm the session and permission caches
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as few:
        clerk_client.get("/staff/day/2026-11-26/")
    for i, slot in enumerate(slots):
        for j in range(4):
            make_booking(slot, f"090-4{i}0{j}-0000")
    with CaptureQueriesContext(connection) as many:
        clerk_client.get("/staff/day/2026-11-26/")
    assert len(many.captured_queries) == len(few.captured_queries)


def test_the_csv_export_opens_in_excel(clerk_client, frozen) -> None:
    make_booking(factories.slot(THURSDAY))
    response = clerk_client.get("/staff/day/2026-11-26/reservations.csv")
    body = response.content.decode("utf-8")
    assert body.startswith("\ufeff時間,予約番号,氏名")
    assert "佐藤 花子" in body


def test_a_clerk_marks_arrival_then_done(clerk_client, alice, frozen) -> None:
    reservation = make_booking(factories.slot(date(2026, 11, 25), time(16, 0)), channel="phone", user=alice)
    clerk_client.post(f"/staff/reservations/{reservation.pk}/status/", {"status": "arrived", "expected": "booked"})
    reservation.refresh_from_db()
    assert reservation.status == "arrived"
    clerk_client.post(f"/staff/reservations/{reservation.pk}/status/", {"status": "done", "expected": "arrived"})
    reservation.refresh_from_db()
    assert reservation.status == "done"


def test_a_second_clerk_clicking_the_same_button_is_told_and_nothing_changes(clerk_client, frozen) -> None:
    reservation = make_booking(factories.slot(THURSDAY))
    clerk_client.post(f"/staff/reservations/{reservation.pk}/status/", {"status": "no_show", "expected": "booked"})
    response = clerk_client.post(
        f"/staff/reservations/{reservation.pk}/status/", {"status": "arrived", "expected": "booked"}, follow=True
    )
    assert "別の職員がすでに「来庁なし」にしています" in response.content.decode()
    reservation.refresh_from_db()
    assert reservation.status == "no_show"


def test_an_impossible_transition_is_refused(clerk_client, frozen) -> None:
    reservation = make_booking(factories.slot(THURSDAY))
    response = clerk_client.post(f"/staff/reservations/{reservation.pk}/status/", {"status": "done"}, follow=True)
    assert "には変更できません" in response.content.decode()
    reservation.refresh_from_db()
    assert (reservation.status, reservation.status_changed_by) == ("booked", None)


def test_a_clerk_cancelling_frees_the_place(clerk_client, frozen) -> None:
    slot = factories.slot(THURSDAY)
    reservation = make_booking(slot)
    clerk_client.post(f"/staff/reservations/{reservation.pk}/status/", {"status": "cancelled", "expected": "booked"})
    slot.refresh_from_db()
    reservation.refresh_from_db()
    assert (reservation.status, slot.booked) == ("cancelled", 0)


def test_issuing_from_an_arrived_appointment_renews_the_linked_certificate(clerk_client, alice, frozen) -> None:
    resident = factories.resident()
    old = factories.certificate(resident, issued_on=date(2026, 6, 10), route_from="大阪", route_to="京都")
    reservation = make_booking(factories.slot(date(2026, 11, 25), time(16, 0)), channel="phone", user=alice)
    Reservation.objects.filter(pk=reservation.pk).update(resident=resident, certificate=old, status="arrived")
    html = clerk_client.get(f"/staff/reservations/{reservation.pk}/issue/").content.decode()
    assert 'value="大阪"' in html and 'value="2026-11-25"' in html
    response = clerk_client.post(
        f"/staff/reservations/{reservation.pk}/issue/",
        {
            "kind": old.kind_id,
            "issued_on": "2026-11-25",
            "photo_taken_on": "2026-04-01",
            "route_from": "大阪",
            "route_to": "京都",
        },
    )
    assert "古すぎます" in response.content.decode()
    clerk_client.post(
        f"/staff/reservations/{reservation.pk}/issue/",
        {
            "kind": old.kind_id,
            "issued_on": "2026-11-25",
            "photo_taken_on": "2026-11-01",
            "route_from": "大阪",
            "route_to": "京都",
        },
    )
    new = Certificate.objects.get(renews=old)
    reservation.refresh_from_db()
    assert (reservation.status, reservation.issued_certificate) == ("done", new)
    assert new.expires_on == date(2027, 5, 25)


def test_issuing_for_a_booking_without_a_code_asks_which_resident(clerk_client, frozen) -> None:
    resident = factories.resident(family_name_kana="サトウ", given_name_kana="ハナコ")
    reservation = make_booking(factories.slot(THURSDAY))
    response = clerk_client.get(f"/staff/reservations/{reservation.pk}/issue/")
    assert list(response.context["candidates"]) == [resident]
    response = clerk_client.get(f"/staff/reservations/{reservation.pk}/issue/?resident={resident.pk}")
    assert response.context["resident"] == resident


def test_a_clerk_books_for_a_caller_with_the_acknowledgements_read_out(clerk_client, alice, frozen) -> None:
    slot = factories.slot(THURSDAY)
    procedure = slot.procedure
    data = {
        "slot": slot.pk,
        "channel": "phone",
        "family_name": "高橋",
        "given_name": "健",
        "family_name_kana": "タカハシ",
        "given_name_kana": "ケン",
        "phone": "06-7777-0000",
    }
    response = clerk_client.post(f"/staff/book/?day=2026-11-26&procedure={procedure.pk}", data)
    assert response.status_code == 200
    assert not Reservation.objects.exists()
    data.update({f"ack_{a.pk}": "on" for a in procedure.acknowledgements.all()})
    response = clerk_client.post(f"/staff/book/?day=2026-11-26&procedure={procedure.pk}", data)
    reservation = Reservation.objects.get()
    assert response["Location"] == "/staff/day/2026-11-26/"
    assert (reservation.channel, reservation.created_by) == ("phone", alice)
    assert {a.read_out_by for a in reservation.acknowledgements.all()} == {alice}


def test_a_walk_in_is_recorded_for_counting(clerk_client, alice, frozen) -> None:
    procedure = factories.procedure()
    clerk_client.post("/staff/walk-in/", {"procedure": procedure.pk, "served": "on", "note": ""})
    walk_in = WalkIn.objects.get()
    assert (walk_in.day, walk_in.recorded_by, walk_in.served) == (date(2026, 11, 25), alice, True)


def test_the_supervisor_adds_a_closure_and_the_slots_follow(supervisor_client, frozen) -> None:
    factories.procedure()
    factories.staffed(1)
    from reservations.slots import slots_generate_all

    slots_generate_all()
    assert Slot.objects.filter(day=date(2026, 12, 2), places__gt=0).exists()
    supervisor_client.post(
        "/staff/calendar/",
        {"action": "day", "day-day": "2026-12-02", "day-kind": "closed", "day-hours_like": "0", "day-note": "庁舎点検"},
    )
    assert CalendarDay.objects.filter(day=date(2026, 12, 2), kind="closed").exists()
    assert not Slot.objects.filter(day=date(2026, 12, 2), places__gt=0).exists()
    html = supervisor_client.get("/book/p/jr-pass/?month=2026-12").content.decode()
    assert '<td class="closed"><span>2<span class="mark">休み</span>' in html


@pytest.mark.parametrize("typed", ["{number}", "{dashed}", "{dashed_lower}", "{wide}"])
def test_a_clerk_finds_a_booking_by_its_number_typed_as_shown_or_not(clerk_client, alice, frozen, typed) -> None:
    from certificates.models import AccessLog

    reservation = make_booking(factories.slot(THURSDAY, time(9, 30)))
    dashed = reservation.display_number
    wide = dashed.translate({ord(c): ord(c) + 0xFEE0 for c in dashed if c.isalnum()})
    value = typed.format(number=reservation.number, dashed=dashed, dashed_lower=dashed.lower(), wide=wide)
    response = clerk_client.get("/staff/reservations/find/", {"number": value})
    assert response["Location"] == f"/staff/day/2026-11-26/#r-{reservation.pk}"
    page = clerk_client.get("/staff/day/2026-11-26/").content.decode()
    assert f"予約 {dashed} は 2026年11月26日（木） 9:30 の予約です" in page
    assert f'id="r-{reservation.pk}"' in page
    assert AccessLog.objects.filter(user=alice, action="search", detail=f"予約番号で検索 {dashed}").exists()


def test_an_unknown_or_malformed_reservation_number_is_explained(clerk_client, frozen) -> None:
    response = clerk_client.get("/staff/reservations/find/", {"number": "ACDE-FG99"}, follow=True)
    assert "予約番号 ACDE-FG99 の予約は見つかりませんでした" in response.content.decode()
    response = clerk_client.get("/staff/reservations/find/", {"number": "ACD"}, follow=True)
    assert "予約番号は英数字8文字です（例：ACDE-FG34）" in response.content.decode()
