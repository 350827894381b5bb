from __future__ import annotations

from datetime import date

import pytest

from reservations.models import Invitation, Office, Reservation
from tests import factories
from tests.reservations.helpers import CONTACT, ack_data, book

pytestmark = pytest.mark.django_db

THURSDAY = date(2026, 11, 26)


@pytest.fixture
def north(frozen):
    main = factories.procedure()
    Office.objects.filter(pk=main.office_id).update(name="本庁")
    return factories.office_with_procedure("北支所", phone="06-2222-0000", slug="jr-pass-kita")


def test_a_letter_code_from_the_main_office_books_at_another_office(client, north) -> None:
    office, procedure = north
    resident = factories.resident(family_name="鈴木", phone="06-5555-0001", phone_digits="0655550001")
    invitation = Invitation.objects.create(
        code="ACDEFG34",
        resident=resident,
        certificate=factories.certificate(resident, issued_on=date(2026, 7, 10)),
        procedure=factories.procedure(),
        valid_until=date(2027, 2, 9),
    )
    slot = factories.slot(THURSDAY, proc=procedure)
    page = client.get("/book/ACDEFG34/", follow=True).content.decode()
    assert "本庁" in page and 'href="/book/p/jr-pass-kita/"' in page and "北支所" in page
    page = client.get("/book/p/jr-pass-kita/").content.decode()
    assert "お知らせの予約コードで予約しています" in page
    client.post(f"/book/p/jr-pass-kita/{THURSDAY}/", {"slot": slot.pk})
    client.post("/book/acknowledgements/", ack_data(procedure))
    client.post("/book/details/", {**CONTACT, "phone": "06-5555-0001"})
    client.post("/book/confirm/")
    reservation = Reservation.objects.get()
    assert (reservation.procedure, reservation.invitation, reservation.resident) == (procedure, invitation, resident)


def test_the_choice_of_procedure_names_each_office(client, north) -> None:
    page = client.get("/book/").content.decode()
    assert "（本庁）" in page and "（北支所）" in page


def test_the_day_list_shows_one_office_or_the_whole_city_with_counts_per_office(clerk_client, north) -> None:
    office, procedure = north
    book(clerk_client, factories.slot(THURSDAY), {**CONTACT, "family_name": "本田"})
    book(
        clerk_client,
        factories.slot(THURSDAY, proc=procedure),
        {**CONTACT, "family_name": "北村", "phone": "090-3333-4444"},
    )
    assert Reservation.objects.count() == 2
    page = clerk_client.get("/staff/day/2026-11-26/").content.decode()
    assert "本田" in page and "北村" in page
    assert '<th scope="row">北支所</th><td>1</td>' in page and '<th scope="row">市全体</th><td>2</td>' in page
    # The whole city's list says at which office each appointment is.
    assert "手続き・窓口" in page
    row = page[page.index("北村") :]
    assert "<small>北支所</small>" in row[: row.index("</tr>")]
    page = clerk_client.get(f"/staff/day/2026-11-26/?office={office.pk}").content.decode()
    assert "北村" in page and "本田" not in page
    assert "手続き・窓口" not in page and "<small>北支所</small>" not in page
    csv = clerk_client.get(f"/staff/day/2026-11-26/reservations.csv?office={office.pk}").content.decode()
    assert "北村" in csv and "本田" not in csv
    assert "窓口" in csv.splitlines()[0] and ",北支所," in csv


def test_a_clerk_assigns_a_resident_to_another_office_and_the_change_is_logged(clerk_client, alice, north) -> None:
    from certificates.models import AccessLog
    from reservations.models import ResidentOffice

    office, _procedure = north
    resident = factories.resident()
    page = clerk_client.get(f"/staff/residents/{resident.pk}/").content.decode()
    assert "担当の窓口" in page and "本庁" in page
    response = clerk_client.post(f"/staff/residents/{resident.pk}/office/", {"office": office.pk})
    assert response["Location"] == f"/staff/residents/{resident.pk}/"
    assert ResidentOffice.objects.get(resident=resident).office == office
    assert AccessLog.objects.filter(
        user=alice, resident=resident, action="update", detail="担当の窓口：北支所"
    ).exists()
    clerk_client.post(f"/staff/residents/{resident.pk}/office/", {"office": "999"})
    assert ResidentOffice.objects.get(resident=resident).office == office


def test_a_closure_for_one_office_closes_only_its_calendar_and_slots(supervisor_client, client, north) -> None:
    from reservations import calendar, rules
    from reservations.models import CalendarDay, Slot
    from reservations.slots import slots_generate_all

    office, procedure = north
    main = factories.procedure()
    factories.staffed(2, main)
    factories.staffed(2, procedure)
    slots_generate_all()
    friday = date(2026, 12, 4)
    assert Slot.objects.filter(procedure=procedure, day=friday, places__gt=0).exists()

    response = supervisor_client.post(
        "/staff/calendar/",
        {
            "action": "day",
            "day-day": "2026-12-04",
            "day-office": office.pk,
            "day-kind": "closed",
            "day-hours_like": "0",
            "day-note": "北支所 停電",
        },
    )
    assert response.status_code == 302
    closure = CalendarDay.objects.get()
    assert closure.office == office

    # The branch's slots close and its calendar says why; the main office keeps its day.
    assert not Slot.objects.filter(procedure=procedure, day=friday, places__gt=0).exists()
    assert Slot.objects.filter(procedure=main, day=friday, places__gt=0).exists()
    assert not calendar.is_office_day(friday, office) and calendar.is_office_day(friday, main.office)
    assert calendar.is_office_day(friday)  # the city's own calendar knows only closures for every office
    now = factories.NOW
    assert rules.day_states(procedure=procedure, start=friday, end=friday, now=now)[friday] == rules.CLOSED
    assert rules.day_states(procedure=main, start=friday, end=friday, now=now)[friday] == rules.BOOKABLE
    # The cut-off for the Monday after is the branch's previous office day: Thursday 17:00, not Friday.
    monday = date(2026, 12, 7)
    assert rules.booking_deadline(procedure=procedure, day=monday).date() == date(2026, 12, 3)
    assert rules.booking_deadline(procedure=main, day=monday).date() == friday

    branch_page = client.get("/book/p/jr-pass-kita/?month=2026-12").content.decode()
    assert '<td class="closed"><span>4<span class="mark">休み</span>' in branch_page
    assert "/book/p/jr-pass-kita/2026-12-03/" in branch_page
    main_page = client.get(f"/book/p/{main.slug}/?month=2026-12").content.decode()
    assert f"/book/p/{main.slug}/2026-12-04/" in main_page
    day_list = supervisor_client.get(f"/staff/day/2026-12-04/?office={office.pk}").content.decode()
    assert "北支所 停電" in day_list
    settings_page = supervisor_client.get("/staff/calendar/").content.decode()
    assert "<td>北支所</td><td>休業</td>" in settings_page


def test_an_office_may_open_on_a_day_every_other_office_is_closed(north) -> None:
    from reservations import calendar
    from reservations.models import CalendarDay

    office, _procedure = north
    day = date(2026, 12, 9)
    CalendarDay.objects.create(day=day, kind="closed", note="全庁 システム更新")
    CalendarDay.objects.create(day=day, office=office, kind="open", note="北支所は開庁")
    assert not calendar.is_office_day(day)
    assert calendar.is_office_day(day, office)
    assert calendar.office_days(date(2026, 12, 8), date(2026, 12, 10), office) == [
        date(2026, 12, 8),
        day,
        date(2026, 12, 10),
    ]


def test_the_same_closure_entered_twice_for_an_office_is_refused_in_japanese(supervisor_client, north) -> None:
    from reservations.models import CalendarDay

    office, _procedure = north
    data = {
        "action": "day",
        "day-day": "2026-12-04",
        "day-office": office.pk,
        "day-kind": "closed",
        "day-hours_like": "0",
        "day-note": "",
    }
    supervisor_client.post("/staff/calendar/", data)
    page = supervisor_client.post("/staff/calendar/", data).content.decode()
    assert "この日は、この窓口の休業日・臨時開庁日としてすでに登録されています。" in page
    # The same day for every office is a different entry and is accepted.
    supervisor_client.post("/staff/calendar/", {**data, "day-office": ""})
    assert CalendarDay.objects.count() == 2
