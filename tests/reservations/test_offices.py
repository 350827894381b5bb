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
    page = clerk_client.get(f"/staff/day/2026-11-26/?office={office.pk}").content.decode()
    assert "北村" in page and "本田" not in page
    csv = clerk_client.get(f"/staff/day/2026-11-26/reservations.csv?office={office.pk}").content.decode()
    assert "北村" in csv and "本田" not in csv


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
