from __future__ import annotations

from datetime import date

import pytest

from notices import services
from notices.models import Letter
from reservations.models import Office, ResidentOffice
from tests import factories
from tests.notices.test_letters import FEBRUARY, pages_text

pytestmark = pytest.mark.django_db


def test_each_letter_carries_the_contact_and_booking_link_of_the_residents_own_office(frozen) -> None:
    main = factories.procedure()
    Office.objects.filter(pk=main.office_id).update(name="本庁", phone="06-1111-0000", fax="06-1111-0001")
    north, north_procedure = factories.office_with_procedure(
        "北支所", phone="06-2222-0000", slug="jr-pass-kita", fax="06-2222-0001", email="kita@example.jp"
    )
    at_main = factories.resident(family_name="本田", postal_code="530-0001")
    at_north = factories.resident(family_name="北村", postal_code="531-0001")
    ResidentOffice.objects.create(resident=at_north, office=north)
    factories.certificate(at_main, issued_on=date(2026, 8, 10))
    factories.certificate(at_north, issued_on=date(2026, 8, 11))
    batch = services.notice_batch_prepare(month=FEBRUARY)
    letters = {letter.resident: letter for letter in Letter.objects.select_related("invitation__procedure")}
    assert letters[at_main].invitation.procedure == main
    assert letters[at_north].invitation.procedure == north_procedure
    main_page, north_page = pages_text(batch)[1:]
    assert "本田" in main_page and "06-1111-0000" in main_page and "06-2222-0000" not in main_page
    assert "北村" in north_page and "06-2222-0000" in north_page and "06-2222-0001" in north_page
    assert "kita@example.jp" in north_page and "06-1111-0001" not in north_page
    assert "06-1111-0000" not in north_page
    assert f"/book/{letters[at_north].invitation.code}/" in north_page


def test_with_one_batch_per_office_each_office_gets_its_own_batch_and_pdf(frozen, settings) -> None:
    settings.NOTICE_BATCH_PER_OFFICE = True
    main = factories.procedure()
    Office.objects.filter(pk=main.office_id).update(name="本庁")
    north, _procedure = factories.office_with_procedure("北支所", phone="06-2222-0000", slug="jr-pass-kita")
    for i in range(2):
        factories.certificate(factories.resident(postal_code=f"53{i}-0001"), issued_on=date(2026, 8, 10))
    at_north = factories.resident(postal_code="539-0001")
    ResidentOffice.objects.create(resident=at_north, office=north)
    factories.certificate(at_north, issued_on=date(2026, 8, 10))
    batches = services.notice_batches_prepare(month=FEBRUARY)
    assert [(b.office.name, b.letter_count) for b in batches] == [("本庁", 2), ("北支所", 1)]
    assert batches[1].label == "北支所 2027年2月"
    assert batches[0].pdf_path != batches[1].pdf_path
    # Running again changes nothing: one letter per certificate, whichever batch wrote it.
    assert [b.pk for b in services.notice_batches_prepare(month=FEBRUARY)] == [b.pk for b in batches]
    assert Letter.objects.count() == 3
