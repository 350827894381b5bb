"""Letters and batch PDFs past NOTICE_RETENTION_MONTHS are forgotten; the outcome report counts the same."""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path

import pytest
from django.conf import settings
from django.core.exceptions import ValidationError

from notices import eligibility, report, services
from notices.models import Letter, LetterRetentionRun, NoticeBatch
from reservations.models import Invitation, Reservation
from tests import factories

pytestmark = pytest.mark.django_db

FEBRUARY = date(2027, 2, 1)
# 13 months after the February 2027 batch: its letters are past their period on 1 April 2028.
LATER = datetime(2028, 4, 2, 3, 0, tzinfo=factories.JST)


def _batch_with_a_visit(bob) -> NoticeBatch:
    from reservations.booking import Contact, reservation_book

    for i, name in enumerate(["鈴木", "高橋"]):
        resident = factories.resident(family_name=name, postal_code=f"530-000{i}", address="大阪府大阪市北区1丁目")
        factories.certificate(resident, issued_on=date(2026, 8, 10 + i))
    batch = services.notice_batch_prepare(month=FEBRUARY)
    eligibility.batch_eligibility_confirm(batch=batch, user=bob)
    services.notice_batch_mark_mailed(batch=batch, mailed_on=date(2026, 11, 25), user=bob)
    letter = Letter.objects.order_by("postal_code").first()
    slot = factories.slot(date(2026, 11, 26), places=5)
    reservation_book(
        procedure=slot.procedure,
        slot_id=slot.pk,
        acknowledged=list(slot.procedure.acknowledgements.values_list("pk", flat=True)),
        invitation_code=letter.invitation.code,
        contact=Contact("鈴木", "一郎", "スズキ", "イチロウ", "090-5000-0001"),
    )
    Reservation.objects.update(status="done")
    factories.certificate(letter.resident, issued_on=date(2026, 11, 26), renews=letter.certificate)
    return batch


def test_letters_past_their_period_lose_name_address_links_and_pdf_and_counts_stay(frozen, bob) -> None:
    batch = _batch_with_a_visit(bob)
    pdf = Path(settings.MEDIA_ROOT) / batch.pdf_path
    assert pdf.exists()
    before = report.funnel_for_batch(batch)
    assert (before.letters, before.booked, before.visited, before.issued) == (2, 1, 1, 1)

    run = services.letters_anonymise(now=LATER)

    assert (run.cutoff, run.letters, run.pdfs) == (date(2027, 3, 1), 2, 1)
    assert not pdf.exists()
    batch.refresh_from_db()
    assert batch.pdf_path == "" and batch.pdf_deleted_at == LATER
    for letter in Letter.objects.all():
        assert (letter.name, letter.address, letter.postal_code) == ("", "", "")
        assert (letter.resident_id, letter.certificate_id, letter.invitation_id) == (None, None, None)
        assert letter.anonymised_at == LATER and letter.status == "mailed"
    assert not Invitation.objects.exists()
    assert Reservation.objects.get().invitation_id is None
    assert report.funnel_for_batch(batch) == before
    assert batch.events.filter(action="保存期間の処理").count() == 1


def test_the_retention_run_is_logged_and_a_second_run_changes_nothing(frozen, bob) -> None:
    _batch_with_a_visit(bob)
    services.letters_anonymise(now=LATER)
    again = services.letters_anonymise(now=LATER)
    assert (again.letters, again.pdfs) == (0, 0)
    assert LetterRetentionRun.objects.count() == 2


def test_recent_batches_are_kept_whole(frozen, bob) -> None:
    batch = _batch_with_a_visit(bob)
    run = services.letters_anonymise(now=datetime(2028, 3, 31, 12, 0, tzinfo=factories.JST))
    assert (run.cutoff, run.letters, run.pdfs) == (date(2027, 2, 1), 0, 0)
    assert (Path(settings.MEDIA_ROOT) / NoticeBatch.objects.get(pk=batch.pk).pdf_path).exists()
    assert Letter.objects.filter(anonymised_at__isnull=True, resident__isnull=False).count() == 2


def test_an_anonymised_letter_cannot_be_opened_regenerated_or_changed(supervisor_client, frozen, bob) -> None:
    batch = _batch_with_a_visit(bob)
    services.letters_anonymise(now=LATER)
    letter = Letter.objects.first()
    assert supervisor_client.get(f"/staff/notices/letters/{letter.pk}/letter.pdf").status_code == 404
    assert supervisor_client.get(f"/staff/notices/batches/{batch.pk}/batch.pdf").status_code == 404
    batch.refresh_from_db()
    with pytest.raises(ValidationError, match="保存期間"):
        services.notice_batch_regenerate(batch=batch, user=bob)
    with pytest.raises(ValidationError, match="保存期間"):
        services.letter_set_status(letter=letter, status="returned", reason="宛先不明", user=bob)
    assert supervisor_client.get(f"/staff/notices/batches/{batch.pk}/").status_code == 200


def test_the_nightly_run_cuts_reservations_loose_and_the_letters_still_count_them(frozen, bob) -> None:
    batch = _batch_with_a_visit(bob)
    before = report.funnel_for_batch(batch)
    reservation = Reservation.objects.get()
    # 13 months after the appointment (26 November 2026) but before the letters' own period ends.
    run = services.retention_run(now=datetime(2027, 12, 28, 3, 0, tzinfo=factories.JST))
    reservation.refresh_from_db()
    assert reservation.anonymised_at is not None and reservation.family_name == ""
    assert (reservation.resident_id, reservation.certificate_id, reservation.invitation_id) == (None, None, None)
    assert reservation.issued_certificate_id is None and reservation.client_key == ""
    assert run.letters == 0 and Letter.objects.filter(anonymised_at__isnull=True).count() == 2
    assert report.funnel_for_batch(batch) == before
    services.retention_run(now=LATER)
    assert report.funnel_for_batch(batch) == before
    assert not Letter.objects.filter(anonymised_at__isnull=True).exists()


def test_the_schedules_run_retention_and_clear_expired_sessions(settings) -> None:
    from datetime import timedelta

    from django.contrib.sessions.models import Session
    from django.core.management import call_command
    from django.utils import timezone
    from django_q.models import Schedule

    from staff.tasks import clear_expired_sessions

    Schedule.objects.create(
        name="reservations-retention", func="reservations.tasks.x", schedule_type=Schedule.CRON, cron="30 2 * * *"
    )
    call_command("setup_schedules", verbosity=0)
    names = dict(Schedule.objects.values_list("name", "func"))
    assert names["retention"] == "notices.tasks.retention"
    assert names["sessions-clear"] == "staff.tasks.clear_expired_sessions"
    assert "reservations-retention" not in names
    now = timezone.now()
    Session.objects.create(session_key="old", session_data="x", expire_date=now - timedelta(minutes=1))
    Session.objects.create(session_key="live", session_data="x", expire_date=now + timedelta(minutes=30))
    clear_expired_sessions()
    assert list(Session.objects.values_list("session_key", flat=True)) == ["live"]
