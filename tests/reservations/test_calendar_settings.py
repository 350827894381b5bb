"""The supervisor's calendar settings: deleting a row and entering one twice."""

from datetime import date, time

import pytest

from reservations.models import CalendarDay, CapacityOverride, OpeningHours, Slot
from reservations.slots import slots_generate_all
from tests import factories

pytestmark = pytest.mark.django_db

MONDAY = date(2026, 11, 30)


@pytest.fixture
def procedure(frozen):
    procedure = factories.procedure()
    factories.staffed(2)  # two qualified clerks on duty all week, so places are the opening hours' places
    slots_generate_all()
    return procedure


def _places(day: date, start: time) -> int:
    return Slot.objects.get(day=day, start=start).places


def test_deleting_opening_hours_closes_their_slots_but_keeps_the_others(supervisor_client, procedure) -> None:
    afternoon = OpeningHours.objects.get(procedure=procedure, weekday=0, start=time(13, 0))
    response = supervisor_client.post("/staff/calendar/", {"action": "delete-hours", "pk": afternoon.pk})
    assert response["Location"] == "/staff/calendar/"
    assert not OpeningHours.objects.filter(pk=afternoon.pk).exists()
    assert _places(MONDAY, time(13, 0)) == 0
    assert _places(MONDAY, time(9, 0)) == 2


def test_deleting_a_closure_opens_the_day_again(supervisor_client, procedure) -> None:
    supervisor_client.post(
        "/staff/calendar/",
        {"action": "day", "day-day": "2026-12-02", "day-kind": "closed", "day-hours_like": "0", "day-note": "点検"},
    )
    assert _places(date(2026, 12, 2), time(9, 0)) == 0
    closure = CalendarDay.objects.get(day=date(2026, 12, 2))
    supervisor_client.post("/staff/calendar/", {"action": "delete-day", "pk": closure.pk})
    assert not CalendarDay.objects.exists()
    assert _places(date(2026, 12, 2), time(9, 0)) == 2


def test_deleting_a_capacity_change_gives_back_the_usual_places(supervisor_client, procedure) -> None:
    data = {
        "action": "override",
        "override-procedure": procedure.pk,
        "override-day": "2026-12-03",
        "override-start": "",
        "override-places": "1",
        "override-note": "研修",
    }
    supervisor_client.post("/staff/calendar/", data)
    assert _places(date(2026, 12, 3), time(9, 0)) == 1
    override = CapacityOverride.objects.get()
    supervisor_client.post("/staff/calendar/", {"action": "delete-override", "pk": override.pk})
    assert not CapacityOverride.objects.exists()
    assert _places(date(2026, 12, 3), time(9, 0)) == 2


def test_a_second_click_on_delete_changes_nothing_else(supervisor_client, procedure) -> None:
    closure = CalendarDay.objects.create(day=date(2026, 12, 2), kind="closed", note="点検")
    supervisor_client.post("/staff/calendar/", {"action": "delete-day", "pk": closure.pk})
    response = supervisor_client.post("/staff/calendar/", {"action": "delete-day", "pk": closure.pk})
    assert response["Location"] == "/staff/calendar/"
    assert OpeningHours.objects.filter(procedure=procedure).count() == 10
    assert _places(date(2026, 12, 2), time(9, 0)) == 2


@pytest.mark.parametrize(
    "data",
    [
        {"action": "day", "day-day": "2026-12-02", "day-kind": "closed", "day-hours_like": "0", "day-note": "点検"},
        {"action": "override", "override-day": "2026-12-03", "override-start": "", "override-places": "1"},
        {"action": "override", "override-day": "2026-12-03", "override-start": "09:00", "override-places": "1"},
    ],
)
def test_the_same_entry_twice_is_refused_with_a_message_and_the_input_kept(supervisor_client, procedure, data) -> None:
    if data["action"] == "override":
        data = {**data, "override-procedure": procedure.pk, "override-note": "研修"}
    supervisor_client.post("/staff/calendar/", data)
    rows = (CalendarDay.objects.count(), CapacityOverride.objects.count())
    response = supervisor_client.post("/staff/calendar/", data)
    assert response.status_code == 200
    html = response.content.decode()
    assert "入力内容を確認してください" in html
    assert 'value="2026-12-0' in html
    assert (CalendarDay.objects.count(), CapacityOverride.objects.count()) == rows
