from datetime import date, time

import pytest

from reservations.booking import Contact, reservation_book
from reservations.models import Reservation, RetentionRun
from reservations.retention import reservations_anonymise
from tests import factories

pytestmark = pytest.mark.django_db


def test_personal_data_past_the_retention_period_is_removed_and_counts_stay(frozen, alice, settings) -> None:
    settings.RESERVATION_RETENTION_MONTHS = 13
    procedure = factories.procedure()
    acks = list(procedure.acknowledgements.values_list("pk", flat=True))
    old_slot = factories.slot(date(2025, 10, 24), time(9, 0))
    recent_slot = factories.slot(date(2025, 10, 27), time(9, 0))
    resident = factories.resident()
    certificate = factories.certificate(resident, issued_on=date(2025, 4, 1))
    for slot, phone in ((old_slot, "090-1000-0001"), (recent_slot, "090-1000-0002")):
        Reservation.objects.create(
            resident=resident,
            certificate=certificate,
            issued_certificate=certificate,
            number=f"N{phone[-4:]}",
            token=phone,
            procedure=procedure,
            slot=slot,
            status="done",
            family_name="田中",
            given_name="一",
            family_name_kana="タナカ",
            given_name_kana="ハジメ",
            phone=phone,
            phone_digits=phone.replace("-", ""),
            email="a@example.jp",
            notes="メモ",
        )
    reservation_book(
        procedure=procedure,
        slot_id=factories.slot(date(2026, 11, 26)).pk,
        acknowledged=acks,
        contact=Contact("佐藤", "花", "サトウ", "ハナ", "090-1000-0003"),
    )
    run = reservations_anonymise()
    assert (run.cutoff, run.anonymised) == (date(2025, 10, 25), 1)
    old = Reservation.objects.get(slot=old_slot)
    assert (old.family_name, old.phone, old.email, old.notes, old.status) == ("", "", "", "", "done")
    assert (old.resident_id, old.certificate_id, old.issued_certificate_id, old.invitation_id) == (
        None,
        None,
        None,
        None,
    )
    assert old.anonymised_at is not None
    assert Reservation.objects.filter(anonymised_at__isnull=True).count() == 2
    assert Reservation.objects.get(slot=recent_slot).resident == resident  # not yet past its period
    assert Reservation.objects.count() == 3
    assert reservations_anonymise().anonymised == 0
    assert RetentionRun.objects.count() == 2
