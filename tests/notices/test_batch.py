from __future__ import annotations

import threading
from contextlib import contextmanager
from datetime import date, timedelta
from pathlib import Path

import pytest
from django.core.management import call_command
from django.db import connection
from django_q.models import Schedule
from pypdf import PdfReader

from certificates.models import Certificate
from notices import services
from notices.models import Letter, NoticeBatch
from reservations.models import Invitation
from tests import factories

FEBRUARY = date(2027, 2, 1)


def due(**resident_fields) -> Certificate:
    """A certificate of the letter kind expiring in February 2027 (issued 2026-08-xx)."""
    return factories.certificate(factories.resident(**resident_fields), issued_on=date(2026, 8, 10))


@pytest.mark.django_db
def test_the_default_target_is_the_month_after_next(settings) -> None:
    assert services.default_target_month(date(2026, 12, 1)) == date(2027, 2, 1)
    assert services.default_target_month(date(2026, 11, 30)) == date(2027, 1, 1)
    settings.NOTICE_MONTHS_AHEAD = 1
    assert services.default_target_month(date(2026, 12, 1)) == date(2027, 1, 1)


@pytest.mark.django_db
def test_selection_takes_valid_letter_kind_certificates_expiring_in_the_month(frozen) -> None:
    chosen = due()
    factories.certificate(issued_on=date(2026, 9, 10))  # expires in March
    factories.certificate(issued_on=date(2026, 7, 10))  # expires in January
    other_kind = factories.certificate(
        issued_on=date(2026, 2, 10), kind=factories.letter_kind().__class__.objects.get(is_letter_kind=False)
    )
    assert other_kind.expires_on.month == 2
    assert list(services.due_certificates(FEBRUARY)) == [chosen]


@pytest.mark.django_db
def test_selection_leaves_out_renewed_revoked_opted_out_ineligible_addressless_and_lettered(frozen, alice) -> None:
    keep = due()
    renewed = due()
    factories.certificate(renewed.resident, issued_on=date(2026, 11, 1), renews=renewed)
    newer = due()
    factories.certificate(newer.resident, issued_on=date(2026, 10, 1))  # newer one, not linked by renews
    revoked = due()
    Certificate.objects.filter(pk=revoked.pk).update(status="revoked", revoked_reason="転出")
    due(letter_opt_out=True)
    due(eligibility_ended_on=date(2026, 11, 1), eligibility_end_reason="保護廃止")
    due(address="")
    due(postal_code="")
    assert list(services.due_certificates(FEBRUARY)) == [keep]
    services.notice_batch_prepare(month=FEBRUARY)
    assert list(services.due_certificates(FEBRUARY)) == []


@pytest.mark.django_db
def test_a_batch_gives_each_letter_an_invitation_valid_past_the_expiry(frozen, settings) -> None:
    certificate = due()
    batch = services.notice_batch_prepare(month=FEBRUARY)
    letter = Letter.objects.get()
    assert (batch.status, batch.letter_count, letter.certificate) == ("prepared", 1, certificate)
    assert letter.invitation.valid_until == certificate.expires_on + timedelta(
        days=settings.NOTICE_INVITATION_GRACE_DAYS
    )
    assert (letter.invitation.resident, letter.invitation.certificate) == (certificate.resident, certificate)


@pytest.mark.django_db
def test_running_twice_gives_one_batch_and_one_letter_per_certificate(frozen) -> None:
    for _ in range(3):
        due()
    first = services.notice_batch_prepare(month=FEBRUARY)
    second = services.notice_batch_prepare(month=FEBRUARY)
    assert first.pk == second.pk
    assert NoticeBatch.objects.count() == 1
    assert Letter.objects.count() == Invitation.objects.count() == 3
    assert second.pdf_sha256 == first.pdf_sha256


@pytest.mark.django_db
def test_residents_due_after_the_batch_go_into_a_supplement(frozen) -> None:
    due()
    main = services.notice_batch_prepare(month=FEBRUARY)
    late = due()
    supplement = services.notice_batch_prepare(month=FEBRUARY)
    assert (supplement.sequence, supplement.letter_count) == (1, 1)
    assert supplement.letters.get().certificate == late
    assert main.letters.count() == 1
    assert services.notice_batch_prepare(month=FEBRUARY).pk == supplement.pk


@pytest.mark.django_db
def test_the_database_allows_one_letter_per_certificate(frozen) -> None:
    from django.db import IntegrityError, transaction

    due()
    batch = services.notice_batch_prepare(month=FEBRUARY)
    letter = Letter.objects.get()
    with pytest.raises(IntegrityError), transaction.atomic():
        Letter.objects.create(
            batch=batch,
            certificate=letter.certificate,
            resident=letter.resident,
            invitation=Invitation.objects.create(
                code="ZZZZ3333",
                resident=letter.resident,
                certificate=letter.certificate,
                procedure=factories.procedure(),
                valid_until=date(2027, 3, 1),
            ),
            postal_code="530-0001",
            address="x",
            name="x",
            expires_on=letter.expires_on,
        )


@pytest.mark.django_db
def test_a_run_that_crashed_half_way_is_finished_by_the_next_run(frozen, monkeypatch) -> None:
    certificates = [due() for _ in range(4)]
    calls = {"n": 0}
    original = services.process_one_letter

    def crash_on_third(**kwargs) -> bool:
        calls["n"] += 1
        if calls["n"] == 3:
            raise RuntimeError("worker killed")
        return original(**kwargs)

    monkeypatch.setattr(services, "process_one_letter", crash_on_third)
    with pytest.raises(RuntimeError):
        services.notice_batch_prepare(month=FEBRUARY)
    batch = NoticeBatch.objects.get()
    assert (batch.status, batch.letters.count()) == ("preparing", 2)
    monkeypatch.undo()
    finished = services.notice_batch_prepare(month=FEBRUARY)
    assert finished.pk == batch.pk
    assert finished.status == "prepared"
    assert sorted(letter.certificate_id for letter in finished.letters.all()) == sorted(c.pk for c in certificates)
    assert len(PdfReader(_media(finished)).pages) == 5


def _media(batch: NoticeBatch) -> Path:
    from django.conf import settings

    return Path(settings.MEDIA_ROOT) / batch.pdf_path


@contextmanager
def lock_held_elsewhere(batch_id: int):
    """The render lock held by someone else: another database session on PostgreSQL, another open file here."""
    from django.db import connection

    from notices.locks import LOCK_CLASS, render_lock

    if connection.vendor == "postgresql":
        import psycopg

        params = connection.get_connection_params()
        params.pop("cursor_factory", None)
        params.pop("context", None)
        with psycopg.connect(**params, autocommit=True) as other:
            assert other.execute("SELECT pg_try_advisory_lock(%s, %s)", [LOCK_CLASS, batch_id]).fetchone()[0]
            yield
    else:
        with render_lock(batch_id) as held:
            assert held
            yield


@pytest.mark.django_db
def test_while_another_process_renders_the_batch_waits_and_is_finished_after(frozen) -> None:
    due()
    batch = services._open_batch(FEBRUARY, factories.NOW)
    with lock_held_elsewhere(batch.pk):
        assert services.notice_batch_prepare(month=FEBRUARY).status == "preparing"
    # The lock dies with its holder (here: released), so the next run renders at once.
    assert services.notice_batch_prepare(month=FEBRUARY).status == "prepared"


@pytest.mark.django_db(transaction=True)
def test_two_runs_at_the_same_time_give_one_batch_one_letter_each_and_a_complete_pdf(frozen) -> None:
    certificates = [due() for _ in range(12)]
    barrier = threading.Barrier(2)
    errors: list[BaseException] = []

    def run() -> None:
        try:
            barrier.wait(timeout=30)
            services.notice_batch_prepare(month=FEBRUARY, processes=1)
        except BaseException as exc:
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=run) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=300)
    assert errors == []
    # The run that did not render sees the batch still preparing; a later run returns the finished one.
    batch = services.notice_batch_prepare(month=FEBRUARY)
    assert NoticeBatch.objects.count() == 1
    assert Letter.objects.count() == Invitation.objects.count() == len(certificates)
    assert batch.status == "prepared" and batch.letter_count == 12
    assert len(PdfReader(_media(batch)).pages) == 13


@pytest.mark.django_db
def test_the_command_prepares_a_month_and_copies_the_pdf(frozen, tmp_path) -> None:
    due()
    output = tmp_path / "letters.pdf"
    call_command("notices_prepare", month="2027-02", output=str(output), verbosity=0)
    assert len(PdfReader(output).pages) == 2
    call_command("notices_prepare", month="2027-02", output=str(output), verbosity=0)
    assert Letter.objects.count() == 1


@pytest.mark.django_db
def test_setup_schedules_twice_keeps_one_schedule_per_job(settings) -> None:
    call_command("setup_schedules", verbosity=0)
    call_command("setup_schedules", verbosity=0)
    monthly = Schedule.objects.get(name="notices-monthly-batch")
    assert Schedule.objects.filter(name="notices-monthly-batch").count() == 1
    assert (monthly.func, monthly.cron, monthly.schedule_type) == (
        "notices.tasks.prepare_monthly_batch",
        "0 6 1 * *",
        Schedule.CRON,
    )
    settings.NOTICE_SCHEDULE_CRON = "0 7 1 * *"
    call_command("setup_schedules", verbosity=0)
    assert Schedule.objects.get(name="notices-monthly-batch").cron == "0 7 1 * *"


def test_the_production_job_cluster_never_catches_up_and_retries_after_the_timeout() -> None:
    # The production settings module, not the test settings (which run jobs synchronously).
    from config import settings as production

    assert production.Q_CLUSTER["catch_up"] is False
    assert production.Q_CLUSTER["retry"] > production.Q_CLUSTER["timeout"]
    assert "sync" not in production.Q_CLUSTER


@pytest.mark.django_db
def test_the_scheduled_task_prepares_the_month_after_next(frozen) -> None:
    from notices.tasks import prepare_monthly_batch

    factories.certificate(factories.resident(), issued_on=date(2026, 7, 10))  # expires January 2027
    batch_id = prepare_monthly_batch()
    assert NoticeBatch.objects.get(pk=batch_id).month == date(2027, 1, 1)


@pytest.mark.django_db
def test_a_run_joins_the_unfinished_batch_instead_of_opening_a_supplement(frozen) -> None:
    first, second = due(), due()
    batch = services._open_batch(FEBRUARY, factories.NOW)
    services.process_one_letter(batch=batch, certificate=first, procedure=factories.procedure(), now=factories.NOW)
    # Another run arrives while the first is half-way: letters remain due, yet it must fill the same batch.
    assert services._open_batch(FEBRUARY, factories.NOW) == batch
    finished = services.notice_batch_prepare(month=FEBRUARY)
    assert finished == batch and NoticeBatch.objects.count() == 1
    assert {letter.certificate for letter in finished.letters.all()} == {first, second}
