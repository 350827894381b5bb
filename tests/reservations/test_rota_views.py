"""The staff pages of the rota, qualifications, the supervisor's list, my appointments, the guide and walk-ins."""

from __future__ import annotations

from datetime import date, time

import pytest

from reservations import staffing
from reservations.models import (
    DutyPattern,
    GuideTick,
    GuideVersion,
    Qualification,
    RotaLog,
    Slot,
    UnstaffedBooking,
    WalkIn,
)
from tests import factories
from tests.reservations.test_rota import make_booking, one_morning_slot_hours

pytestmark = pytest.mark.django_db

THURSDAY = date(2026, 11, 26)
FRIDAY = date(2026, 11, 27)


@pytest.mark.parametrize("url", ["/staff/rota/", "/staff/qualifications/", "/staff/unstaffed/", "/staff/guides/1/"])
def test_a_clerk_cannot_open_the_supervisor_pages(clerk_client, url) -> None:
    assert clerk_client.get(url).status_code == 403


def test_the_supervisor_sets_a_weekly_pattern_and_the_places_follow(supervisor_client, frozen) -> None:
    procedure = factories.procedure()
    one_morning_slot_hours(procedure, places=2)
    sato = factories.clerk("sato", family_name="佐藤", given_name="一郎")
    response = supervisor_client.post(
        "/staff/rota/?span=week&start=2026-11-23",
        {
            "action": "pattern",
            "pattern-user": sato.pk,
            "pattern-weekdays": ["3", "4"],
            "pattern-start": "08:30",
            "pattern-end": "12:00",
        },
    )
    assert response.status_code == 302
    assert response["Location"] == "/staff/rota/?span=week&start=2026-11-23"
    assert sorted(DutyPattern.objects.filter(user=sato).values_list("weekday", flat=True)) == [3, 4]
    assert set(Slot.objects.filter(day__in=[THURSDAY, FRIDAY]).values_list("places", flat=True)) == {1}
    page = supervisor_client.get("/staff/rota/?span=week&start=2026-11-23").content.decode()
    assert "佐藤 一郎" in page and "8:30–12:00" in page


def test_an_incomplete_pattern_is_refused_with_a_message(supervisor_client, frozen) -> None:
    sato = factories.clerk("sato")
    response = supervisor_client.post(
        "/staff/rota/", {"action": "pattern", "pattern-user": sato.pk, "pattern-weekdays": ["3"], "pattern-start": ""}
    )
    assert response.status_code == 200
    assert "開始と終了の時刻を入力するか" in response.content.decode()
    assert not DutyPattern.objects.exists()


def test_an_absence_shows_at_once_which_bookings_it_touched(supervisor_client, bob, frozen) -> None:
    procedure = factories.procedure()
    one_morning_slot_hours(procedure, places=1)
    sato = factories.clerk("sato", family_name="佐藤")
    factories.weekly(sato, weekdays=[3])
    staffing.slots_sync(procedure=procedure, start=THURSDAY, end=THURSDAY)
    booking = make_booking(Slot.objects.get(day=THURSDAY), sato)
    response = supervisor_client.post(
        "/staff/rota/",
        {"action": "exception", "exc-user": sato.pk, "exc-day": "2026-11-26", "exc-kind": "sick"},
    )
    assert response.status_code == 302
    page = supervisor_client.get(response["Location"]).content.decode()
    assert booking.display_number in page and "交代できる担当者がいません" in page
    listing = supervisor_client.get("/staff/unstaffed/").content.decode()
    assert booking.display_number in listing and "変更のご案内をメールで送る" in listing


def test_the_supervisor_grants_a_qualification(supervisor_client, frozen) -> None:
    procedure = factories.procedure()
    newcomer = factories.user("newcomer", "clerk")
    response = supervisor_client.post("/staff/qualifications/", {"user": newcomer.pk, "procedure": [procedure.pk]})
    assert response.status_code == 302
    assert Qualification.objects.filter(user=newcomer, procedure=procedure).exists()
    assert RotaLog.objects.filter(action="qualified", clerk=newcomer).exists()


def test_the_rota_names_the_office_of_each_qualification_when_there_are_several(supervisor_client, frozen) -> None:
    main = factories.procedure()
    branch_office, branch = factories.office_with_procedure("北支所", phone="06-2222-0000", slug="jr-pass-kita")
    clerk = factories.clerk("sato", main)
    Qualification.objects.create(user=clerk, procedure=branch)
    page = supervisor_client.get("/staff/rota/").content.decode()
    assert f"資格：{main.name}（{main.office.name}）、{branch.name}（北支所）" in page


def test_the_supervisor_calls_a_resident_without_e_mail_and_records_it(supervisor_client, bob, frozen) -> None:
    procedure = factories.procedure()
    one_morning_slot_hours(procedure, places=1)
    sato = factories.clerk("sato")
    factories.weekly(sato, weekdays=[4])
    staffing.slots_sync(procedure=procedure, start=THURSDAY, end=FRIDAY)
    make_booking(Slot.objects.get(day=THURSDAY), sato)  # odd numbers get an address: use the next one
    booking = make_booking(Slot.objects.get(day=FRIDAY), sato)
    assert booking.email == ""
    staffing.duty_exception_add(user=sato, day=FRIDAY, kind="leave", actor=bob)
    item = UnstaffedBooking.objects.get(reservation=booking)
    page = supervisor_client.get("/staff/unstaffed/").content.decode()
    assert "変更のご案内をメールで送る" not in page and "電話連絡リスト" in page
    supervisor_client.post("/staff/unstaffed/", {"pk": item.pk, "action": "phone"})
    item.refresh_from_db()
    assert item.offer_channel == "phone" and item.offered_at is not None


def test_my_appointments_lists_only_my_bookings(clerk_client, alice, frozen) -> None:
    other = factories.clerk("sato")
    mine = make_booking(factories.slot(THURSDAY, time(9, 0), places=1), alice)
    theirs = make_booking(factories.slot(THURSDAY, time(10, 0), places=1), other)
    page = clerk_client.get("/staff/mine/").content.decode()
    assert mine.display_number in page and theirs.display_number not in page


def test_a_clerk_serves_an_appointment_ticking_the_guide(clerk_client, alice, frozen) -> None:
    booking = make_booking(factories.slot(THURSDAY, time(9, 0), places=1), alice)
    guide = GuideVersion.objects.get(procedure=booking.procedure, version=1)
    page = clerk_client.get(f"/staff/reservations/{booking.pk}/serve/").content.decode()
    assert "窓口案内（第1版）" in page and "2026年5月26日" in page
    steps = [line.index for line in staffing.guide_lines(guide) if not line.heading][:3]
    response = clerk_client.post(
        f"/staff/reservations/{booking.pk}/serve/", {"guide": guide.pk, "step": [str(s) for s in steps]}
    )
    assert response.status_code == 302
    assert GuideTick.objects.filter(reservation=booking, guide=guide, done=True).count() == 3
    assert "確認した項目 3／" in clerk_client.get(f"/staff/reservations/{booking.pk}/serve/").content.decode()
    assert "第1版" in clerk_client.get(f"/staff/guides/{booking.procedure_id}/print/").content.decode()


def test_the_supervisor_publishes_a_new_guide_version(supervisor_client, frozen) -> None:
    procedure = factories.procedure()
    response = supervisor_client.post(
        f"/staff/guides/{procedure.pk}/", {"steps": "# 写真\n撮影日を確認する", "note": "短くした"}
    )
    assert response.status_code == 302
    assert GuideVersion.objects.filter(procedure=procedure).count() == 2
    empty = supervisor_client.post(f"/staff/guides/{procedure.pk}/", {"steps": "# 見出しだけ", "note": ""})
    assert "手順を1行以上入力してください" in empty.content.decode()


def test_the_walk_in_screen_says_whether_a_walk_in_can_be_served_now(clerk_client, alice, frozen) -> None:
    procedure = factories.procedure()
    # Wednesday 25 November, 10:00: a slot 10:00–10:30 with one qualified clerk on duty.
    slot = factories.slot(factories.TODAY, time(10, 0), places=1)
    page = clerk_client.get("/staff/walk-ins/").content.decode()
    assert "予約制です" in page
    procedure.walk_ins_accepted = True
    procedure.save()
    page = clerk_client.get("/staff/walk-ins/").content.decode()
    assert "対応できます" in page and "counter1" in page
    make_booking(slot, factories.clerk("counter1"))
    page = clerk_client.get("/staff/walk-ins/").content.decode()
    assert "予約に対応中です" in page
    clerk_client.post("/staff/walk-ins/", {"procedure": procedure.pk, "note": "担当者が対応中"})
    assert WalkIn.objects.get().served is False
