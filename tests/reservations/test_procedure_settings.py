"""Every procedure setting an administrator edits does something: the per-slot cap, the walk-in switch, the photo
rule's acknowledgement."""

from __future__ import annotations

from datetime import date, time

import pytest

from reservations import booking
from reservations.models import Acknowledgement, CapacityOverride, Reservation, Slot
from reservations.slots import slots_generate
from tests import factories
from tests.conftest import verify_second_factor

pytestmark = pytest.mark.django_db

THURSDAY = date(2026, 11, 26)


def test_the_per_slot_cap_bounds_the_places_of_every_slot(frozen) -> None:
    procedure = factories.procedure()
    factories.staffed(3)  # enough qualified clerks on duty that the cap, not the rota, decides
    procedure.places_per_slot = 1
    procedure.save()
    CapacityOverride.objects.create(procedure=procedure, day=THURSDAY, start=time(10, 0), places=1)
    slots_generate(procedure=procedure, start=THURSDAY, end=THURSDAY)
    assert set(Slot.objects.filter(day=THURSDAY).values_list("places", flat=True)) == {1}
    procedure.places_per_slot = 3
    procedure.save()
    slots_generate(procedure=procedure, start=THURSDAY, end=THURSDAY)
    places = dict(Slot.objects.filter(day=THURSDAY).values_list("start", "places"))
    assert places[time(9, 0)] == 2 and places[time(10, 0)] == 1  # the hours' 2 and the change's 1, under the cap


def test_the_calendar_settings_refuse_places_above_the_cap(client, bob, frozen) -> None:
    client.force_login(bob)
    verify_second_factor(client, bob)
    procedure = factories.procedure()
    response = client.post(
        "/staff/calendar/",
        {
            "action": "override",
            "override-procedure": procedure.pk,
            "override-day": "2026-12-03",
            "override-start": "",
            "override-places": 5,
            "override-note": "",
        },
    )
    assert "1枠の定員の上限は2人です" in response.content.decode()
    assert not CapacityOverride.objects.exists()


def test_the_walk_in_form_says_whether_walk_ins_are_accepted(clerk_client, frozen) -> None:
    procedure = factories.procedure()
    html = clerk_client.get("/staff/book/").content.decode()
    assert "予約なしの来庁を受け付けていません" in html
    assert 'name="served"' in html and 'name="served" checked' not in html.replace('type="checkbox" ', "")
    procedure.walk_ins_accepted = True
    procedure.save()
    html = clerk_client.get("/staff/book/").content.decode()
    assert "予約なしの来庁も受け付けています" in html


def test_the_public_page_says_whether_walk_ins_are_accepted(client, frozen) -> None:
    procedure = factories.procedure()
    assert "予約なしでの来庁は受け付けていません" in client.get("/").content.decode()
    procedure.walk_ins_accepted = True
    procedure.save()
    assert "予約なしでも受け付けます" in client.get("/").content.decode()


def test_the_photo_rule_is_asked_only_when_the_kind_needs_a_photo(client, frozen) -> None:
    slot = factories.slot(THURSDAY)
    procedure = slot.procedure
    photo_rules = list(procedure.acknowledgements.filter(is_photo_rule=True))
    assert photo_rules, "the default procedure marks its photo acknowledgement"
    assert set(procedure.acknowledgements_to_agree()) == set(procedure.acknowledgements.filter(active=True))
    kind = procedure.certificate_kind
    kind.photo_required = False
    kind.save()
    procedure.refresh_from_db()
    asked = list(procedure.acknowledgements_to_agree())
    assert not any(a.is_photo_rule for a in asked)
    reservation = booking.reservation_book(
        procedure=procedure,
        slot_id=slot.pk,
        acknowledged=[a.pk for a in asked],
        contact=booking.Contact("田中", "一", "タナカ", "ハジメ", "090-1000-0001"),
    )
    assert set(reservation.acknowledgements.values_list("acknowledgement_id", flat=True)) == {a.pk for a in asked}
    assert Reservation.objects.count() == 1
    assert isinstance(photo_rules[0], Acknowledgement)
