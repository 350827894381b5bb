"""The monthly batch: who gets a letter, their invitations, the print PDF, mailing and returns.

Safe to run twice, concurrently from two clusters, or again after a crash half-way: the batch row is unique per
(month, sequence), a letter is unique per certificate, and the PDF is rendered only by whoever claims it.
"""

from __future__ import annotations

import hashlib
import logging
from datetime import date, datetime, timedelta
from pathlib import Path

from django.conf import settings
from django.contrib.auth.models import User
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Exists, F, OuterRef, Q, QuerySet
from django.utils import timezone

from certificates.models import Certificate
from certificates.rules import add_months, months_before
from notices import furigana, letters, pdf, report
from notices.locks import render_lock
from notices.models import BatchEvent, Letter, LetterRetentionRun, LetterTemplate, NoticeBatch, ReadingCorrection
from reservations.invitations import invitation_create
from reservations.models import Invitation, Office, Procedure, Reservation
from reservations.retention import reservations_anonymise, retention_cutoff
from staff.names import staff_name

logger = logging.getLogger(__name__)

CHUNK_SIZE = 100
# The letters that go into the printer's PDF; cancelled, withdrawn and already-booked ones are not printed.
PRINTED = (Letter.Status.PREPARED, Letter.Status.MAILED, Letter.Status.RETURNED)


def month_start(day: date) -> date:
    return day.replace(day=1)


def default_target_month(today: date) -> date:
    first = month_start(today)
    shifted = add_months(first, settings.NOTICE_MONTHS_AHEAD)
    assert shifted is not None  # the 1st exists in every month
    return shifted


def _next_month(month: date) -> date:
    shifted = add_months(month, 1)
    assert shifted is not None
    return shifted


def due_certificates(month: date, office: Office | None = None) -> QuerySet[Certificate]:
    """Certificates of the letter kind expiring in `month` that should get a letter and have none yet; with
    `office`, only those of the residents who belong to it (the main office has everyone without an office)."""
    newer = Certificate.objects.filter(
        resident=OuterRef("resident"),
        kind=OuterRef("kind"),
        issued_on__gt=OuterRef("issued_on"),
        status=Certificate.Status.VALID,
    )
    renewal = Certificate.objects.filter(renews=OuterRef("pk"))
    lettered = Letter.objects.filter(certificate=OuterRef("pk"))
    belongs = Q()
    if office is not None:
        belongs = Q(resident__office_link__office=office)
        main = Office.main()
        if main is not None and main.pk == office.pk:
            belongs |= Q(resident__office_link__isnull=True)
    return (
        Certificate.objects.filter(
            belongs,
            kind__is_letter_kind=True,
            status=Certificate.Status.VALID,
            expires_on__gte=month,
            expires_on__lt=_next_month(month),
            resident__letter_opt_out=False,
            # A household whose entitlement has ended never gets a letter.
            resident__eligibility_ended_on__isnull=True,
        )
        .exclude(Q(resident__postal_code="") | Q(resident__address=""))
        .exclude(Exists(newer))
        .exclude(Exists(renewal))
        .exclude(Exists(lettered))
        .select_related("resident", "kind")
        # The resident's own office (ResidentOffice), None for the main office.
        .annotate(resident_office_id=F("resident__office_link__office_id"))
        .order_by("resident__postal_code", "pk")
    )


def letter_procedures() -> dict[int, Procedure]:
    """The letter kind's procedure at each office (the lowest id where an office has several)."""
    procedures: dict[int, Procedure] = {}
    for procedure in Procedure.objects.filter(is_active=True, certificate_kind__is_letter_kind=True).order_by("id"):
        procedures.setdefault(procedure.office_id, procedure)
    return procedures


def procedure_for(certificate: Certificate, procedures: dict[int, Procedure], main_office: Office | None) -> Procedure:
    """Where the resident is invited to book: their own office, else the main office, else any office that can."""
    office_id = getattr(certificate, "resident_office_id", None) or (main_office.pk if main_office else None)
    if office_id in procedures:
        return procedures[office_id]
    if main_office is not None and main_office.pk in procedures:
        return procedures[main_office.pk]
    return next(iter(procedures.values()))


def existing_booking(certificate: Certificate) -> Reservation | None:
    """A live booking the resident already holds for a procedure of the letter's kind (from today on)."""
    return (
        Reservation.objects.filter(
            Q(resident=certificate.resident_id) | Q(certificate=certificate),
            procedure__certificate_kind=certificate.kind_id,
            status=Reservation.Status.BOOKED,
            slot__day__gte=timezone.localdate(),
        )
        .order_by("slot__day", "pk")
        .first()
    )


def process_one_letter(*, batch: NoticeBatch, certificate: Certificate, procedure: Procedure, now: datetime) -> bool:
    """Create the letter and its invitation for one certificate; False when it already has one.

    A resident who already holds a booking gets no letter: the row is kept, marked ALREADY_BOOKED with the
    booking's number, so the certificate is not picked again and the outcome report counts them."""
    resident = certificate.resident
    booking = existing_booking(certificate)
    try:
        with transaction.atomic():
            invitation = None
            if booking is None:
                invitation = invitation_create(
                    resident=resident,
                    certificate=certificate,
                    procedure=procedure,
                    valid_until=certificate.expires_on + timedelta(days=settings.NOTICE_INVITATION_GRACE_DAYS),
                )
            Letter.objects.create(
                batch=batch,
                certificate=certificate,
                resident=resident,
                invitation=invitation,
                office=procedure.office,
                postal_code=resident.postal_code,
                address=resident.address,
                building=resident.address_building,
                name=f"{resident.family_name} {resident.given_name}",
                expires_on=certificate.expires_on,
                created_at=now,
                **(
                    {}
                    if booking is None
                    else {
                        "status": Letter.Status.ALREADY_BOOKED,
                        "status_reason": f"予約番号 {booking.display_number}（{booking.slot.day:%Y年%-m月%-d日}）",
                        "status_changed_at": now,
                    }
                ),
            )
    except IntegrityError:
        # Another run wrote this certificate's letter first; the unique constraint kept it to one.
        return False
    return True


def _open_batch(month: date, now: datetime, office: Office | None = None) -> NoticeBatch | None:
    """The batch to fill: the month's latest one while it is unfinished, else a new one when certificates are due.

    One read of the latest batch decides: a run that looked for unfinished batches first and for the latest one
    after could see neither a moment ago's batch as unfinished nor its letters as written, and open a needless
    supplement beside it.
    """
    latest = NoticeBatch.objects.filter(month=month, office=office).order_by("-sequence").first()
    if latest is not None and latest.status == NoticeBatch.Status.PREPARING:
        return latest
    if latest is not None and not due_certificates(month, office).exists():
        return None
    sequence = latest.sequence + 1 if latest is not None else 0
    try:
        with transaction.atomic():
            return NoticeBatch.objects.create(month=month, sequence=sequence, office=office, created_at=now)
    except IntegrityError:
        # Another run created the same batch a moment ago: fill that one.
        return NoticeBatch.objects.get(month=month, sequence=sequence, office=office)


def notice_batches_prepare(
    *, month: date, user: User | None = None, now: datetime | None = None, processes: int | None = None
) -> list[NoticeBatch]:
    """The month's batches: one for the city, or one per office (settings.NOTICE_BATCH_PER_OFFICE)."""
    offices: list[Office | None] = [None]
    if settings.NOTICE_BATCH_PER_OFFICE:
        offices = list(Office.objects.order_by("id"))
    batches = []
    for office in offices:
        batch = notice_batch_prepare(month=month, user=user, now=now, processes=processes, office=office)
        if batch is not None:
            batches.append(batch)
    return batches


def notice_batch_prepare(
    *,
    month: date,
    user: User | None = None,
    now: datetime | None = None,
    processes: int | None = None,
    office: Office | None = None,
) -> NoticeBatch | None:
    """Prepare (or finish) the month's batch (of one office, or of the city) and its PDF. Returns the batch, or
    None when nothing is due."""
    now = now or timezone.now()
    month = month_start(month)
    batch = _open_batch(month, now, office)
    if batch is None:
        return NoticeBatch.objects.filter(month=month, office=office).order_by("-sequence").first()
    procedures = letter_procedures()
    main_office = Office.main()
    if not procedures:
        raise ValidationError("お知らせの対象となる手続き（証明書の種類が「お知らせの対象」のもの）がありません。")
    if batch.status == NoticeBatch.Status.PREPARING:
        for certificate in due_certificates(month, office).iterator(chunk_size=500):
            procedure = procedure_for(certificate, procedures, main_office)
            process_one_letter(batch=batch, certificate=certificate, procedure=procedure, now=now)
        _render_if_claimed(batch=batch, user=user, now=now, processes=processes, action="作成")
    batch.refresh_from_db()
    return batch


def batch_pdf_path(batch: NoticeBatch) -> Path:
    suffix = f"-s{batch.sequence}" if batch.sequence else ""
    if batch.office_id:
        suffix = f"-o{batch.office_id}{suffix}"
    return Path(settings.MEDIA_ROOT) / "notices" / f"letters-{batch.month:%Y-%m}{suffix}.pdf"


def _render_if_claimed(
    *,
    batch: NoticeBatch,
    user: User | None,
    now: datetime,
    processes: int | None,
    action: str,
    only_if_preparing: bool = True,
) -> bool:
    """Render and store the batch PDF unless another process is rendering it right now."""
    with render_lock(batch.pk) as acquired:
        if not acquired:
            return False
        batch.refresh_from_db()
        if only_if_preparing and batch.status != NoticeBatch.Status.PREPARING:
            return True  # finished by another run between our look and the lock
        NoticeBatch.objects.filter(pk=batch.pk).update(render_claimed_at=now)
        count, digest, size, path = render_batch_pdf(batch=batch, user=user, processes=processes)
        updates = {
            "letter_count": count,
            "pdf_sha256": digest,
            "pdf_bytes": size,
            "pdf_path": str(path.relative_to(settings.MEDIA_ROOT)),
            "render_claimed_at": None,
        }
        if batch.status == NoticeBatch.Status.PREPARING:
            updates.update(status=NoticeBatch.Status.PREPARED, prepared_at=now, prepared_by=user)
        NoticeBatch.objects.filter(pk=batch.pk).update(**updates)
        BatchEvent.objects.create(batch=batch, user=user, action=action, detail=f"{count}通 sha256={digest[:12]}")
    return True


def render_batch_pdf(
    *, batch: NoticeBatch, user: User | None, processes: int | None = None
) -> tuple[int, str, int, Path]:
    template = letters.letter_template()
    letter_qs = (
        Letter.objects.filter(batch=batch)
        .filter(status__in=PRINTED)
        .select_related("resident", "invitation__procedure__certificate_kind", "invitation__procedure__office")
        .order_by("postal_code", "pk")
    )
    count = letter_qs.count()
    preparer = batch.prepared_by or user
    prepared_by = staff_name(preparer) if preparer else "定期処理"
    letter_day = timezone.localdate(batch.created_at)
    prepared_at = timezone.localtime(batch.prepared_at or batch.created_at).strftime("%Y-%m-%d %H:%M")

    already_booked = Letter.objects.filter(batch=batch, status=Letter.Status.ALREADY_BOOKED).count()
    unfit = letters.letters_not_fitting(batch, template)

    def chunks():
        cover = letters.cover_html(
            batch,
            count=count,
            prepared_by=prepared_by,
            prepared_at=prepared_at,
            already_booked=already_booked,
            unfit=unfit,
        )
        yield letters.document([cover], template)
        page_html: list[str] = []
        for letter in letter_qs.iterator(chunk_size=CHUNK_SIZE):
            # Each letter carries the contact of the office it invites the resident to.
            office = letter.invitation.procedure.office if letter.invitation else Office.main()
            page_html.append(letters.letter_html_body(letter, template=template, office=office, today=letter_day))
            if len(page_html) == CHUNK_SIZE:
                yield letters.document(page_html, template)
                page_html = []
        if page_html:
            yield letters.document(page_html, template)

    path = batch_pdf_path(batch)
    pdf.render_chunks_to_file(chunks(), path, processes=processes or settings.NOTICE_RENDER_PROCESSES)
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return count, digest.hexdigest(), path.stat().st_size, path


def letters_refresh_addresses(*, batch: NoticeBatch) -> int:
    """Copy the current name and address from each resident's record onto the batch's letters not yet mailed, so
    a PDF made again after an address was corrected (spaces where it may break, a shorter 方書) prints it."""
    changed = 0
    pending = Letter.objects.filter(batch=batch, status=Letter.Status.PREPARED, resident__isnull=False)
    for letter in pending.select_related("resident"):
        resident = letter.resident
        assert resident is not None
        current = {
            "postal_code": resident.postal_code,
            "address": resident.address,
            "building": resident.address_building,
            "name": f"{resident.family_name} {resident.given_name}",
        }
        if any(getattr(letter, key) != value for key, value in current.items()):
            changed += Letter.objects.filter(pk=letter.pk, status=Letter.Status.PREPARED).update(**current)
    return changed


def notice_batch_regenerate(*, batch: NoticeBatch, user: User) -> NoticeBatch:
    """Render the PDF again on the supervisor's explicit request (e.g. after a letter was cancelled)."""
    if batch.pdf_deleted_at is not None:
        raise ValidationError("保存期間を過ぎたお知らせです。宛名などを消したため、PDFは作り直せません。")
    if batch.status == NoticeBatch.Status.PREPARING:
        raise ValidationError("作成中のお知らせは作り直せません。作成が終わるまでお待ちください。")
    letters_refresh_addresses(batch=batch)
    if not _render_if_claimed(
        batch=batch, user=user, now=timezone.now(), processes=None, action="PDFの作り直し", only_if_preparing=False
    ):
        raise ValidationError("別の職員がいまPDFを作り直しています。しばらくしてから確かめてください。")
    batch.refresh_from_db()
    return batch


@transaction.atomic
def notice_batch_mark_mailed(*, batch: NoticeBatch, mailed_on: date, user: User) -> NoticeBatch:
    batch = NoticeBatch.objects.select_for_update().get(pk=batch.pk)
    if batch.status == NoticeBatch.Status.PREPARING:
        raise ValidationError("作成が終わっていないお知らせは発送済みにできません。")
    if batch.status == NoticeBatch.Status.MAILED:
        raise ValidationError(f"このお知らせは{batch.mailed_on:%Y年%-m月%-d日}に発送済みです。")
    if mailed_on > timezone.localdate():
        raise ValidationError({"mailed_on": "発送日に未来の日付は指定できません。"})
    if batch.eligibility_checked_at is None:
        raise ValidationError(
            "発送の前に、宛先の資格の確認を終えてください（宛先のケース番号を福祉の業務システムと照合します）。"
        )
    if Letter.objects.filter(batch=batch, status=Letter.Status.PREPARED).count() != batch.letter_count:
        raise ValidationError(
            "印刷用PDFに、取り下げたお知らせや取りやめたお知らせが残っています。PDFを作り直してから発送済みにしてください。"
        )
    now = timezone.now()
    batch.status = NoticeBatch.Status.MAILED
    batch.mailed_on = mailed_on
    batch.mailed_by = user
    batch.save(update_fields=["status", "mailed_on", "mailed_by"])
    Letter.objects.filter(batch=batch, status=Letter.Status.PREPARED).update(
        status=Letter.Status.MAILED, status_changed_at=now, status_changed_by=user
    )
    BatchEvent.objects.create(batch=batch, user=user, action="発送", detail=f"{mailed_on.isoformat()}")
    return batch


@transaction.atomic
def letter_set_status(*, letter: Letter, status: str, reason: str, user: User) -> Letter:
    letter = Letter.objects.select_for_update().get(pk=letter.pk)
    if letter.anonymised_at is not None:
        raise ValidationError("保存期間を過ぎたお知らせの記録は変えられません。")
    reason = (reason or "").strip()
    allowed: dict[str, set[str]] = {
        Letter.Status.RETURNED: {Letter.Status.MAILED},
        Letter.Status.CANCELLED: {Letter.Status.PREPARED},
    }
    if status not in allowed:
        raise ValidationError("変更先の状態が正しくありません。")
    if letter.status not in allowed[status]:
        if status == Letter.Status.RETURNED:
            raise ValidationError("返送は、発送済みのお知らせにだけ記録できます。")
        raise ValidationError("取りやめは、発送前のお知らせにだけできます。")
    if not reason:
        raise ValidationError({"reason": "理由を入力してください。"})
    letter.status = status
    letter.status_reason = reason[:200]
    letter.status_changed_at = timezone.now()
    letter.status_changed_by = user
    letter.save(update_fields=["status", "status_reason", "status_changed_at", "status_changed_by"])
    if status == Letter.Status.CANCELLED and letter.invitation is not None:
        letter.invitation.valid_until = min(letter.invitation.valid_until, timezone.localdate() - timedelta(days=1))
        letter.invitation.save(update_fields=["valid_until"])
    BatchEvent.objects.create(
        batch_id=letter.batch_id, user=user, action=Letter.Status(status).label, detail=f"お知らせ #{letter.pk}"
    )
    return letter


def reading_correction_save(*, word: str, reading: str, user: User) -> ReadingCorrection:
    """Set how the letters' furigana read `word` (a new word, or a new reading for one already set)."""
    word = word.strip()
    reading = furigana.to_hiragana(reading.strip()).replace(" ", "").replace("\u3000", "")
    errors = {}
    if not furigana.has_kanji(word):
        errors["word"] = "漢字を含む語を入力してください。ふりがなは漢字にだけ付きます。"
    if not furigana.is_reading(reading):
        errors["reading"] = "読みは、ひらがな（またはカタカナ）だけで入力してください。"
    if errors:
        raise ValidationError(errors)
    correction, _ = ReadingCorrection.objects.update_or_create(
        word=word, defaults={"reading": reading, "updated_by": user, "updated_at": timezone.now()}
    )
    logger.info("reading correction %s=%s set by %s", word, reading, user.username)
    return correction


def reading_correction_delete(*, correction: ReadingCorrection, user: User) -> None:
    correction.delete()
    logger.info("reading correction %s removed by %s", correction.word, user.username)


def letter_template_save(*, template: LetterTemplate, user: User, now: datetime | None = None) -> None:
    """Save the supervisor's wording, checked by the same rules as the admin (LetterTemplate.clean)."""
    template.full_clean()
    template.updated_at = now or timezone.now()
    template.updated_by = user
    template.save()


# --- retention --------------------------------------------------------------------------------------------------

RETENTION_REASON = "保存期間の経過により削除"


def letters_keep_outcomes(letters_qs: QuerySet[Letter], *, now: datetime) -> int:
    """Keep on each letter what became of it (booked and how, visited, no-show, renewed), before its links are cut.

    Called before the letters themselves are anonymised and before the reservations they led to lose their links,
    so the outcome report (which computes each letter's outcome in one place, report.letter_outcomes) counts the
    same afterwards.
    """
    kept = 0
    outcomes = report.letter_outcomes(letters_qs.filter(outcome_kept_at__isnull=True))
    by_outcome: dict[report.LetterOutcome, list[int]] = {}
    for pk, outcome in outcomes.items():
        by_outcome.setdefault(outcome, []).append(pk)
    for outcome, pks in by_outcome.items():
        kept += Letter.objects.filter(pk__in=pks, outcome_kept_at__isnull=True).update(
            outcome_kept_at=now,
            outcome_booked=outcome.booked,
            outcome_with_code=outcome.with_code,
            outcome_channel=outcome.channel,
            outcome_visited=outcome.visited,
            outcome_no_show=outcome.no_show,
            outcome_issued=outcome.issued,
        )
    return kept


def letter_retention_cutoff(today: date) -> date:
    """Batches about a month before this one are past their retention period."""
    return months_before(month_start(today), settings.NOTICE_RETENTION_MONTHS)


def letters_anonymise(*, now: datetime | None = None) -> LetterRetentionRun:
    """Forget the letters of batches past NOTICE_RETENTION_MONTHS: delete the batch PDFs (names, addresses and
    codes of every recipient), blank name and address, cut the links to the resident, the certificate and the
    invitation (which is deleted). The rows, their status and what they led to stay, for the outcome report."""
    now = now or timezone.now()
    cutoff = letter_retention_cutoff(timezone.localdate(now))
    with transaction.atomic():
        letters_qs = Letter.objects.filter(batch__month__lt=cutoff, anonymised_at__isnull=True)
        letters_keep_outcomes(letters_qs, now=now)
        invitation_ids = [pk for pk in letters_qs.values_list("invitation_id", flat=True) if pk]
        count = letters_qs.update(
            name="",
            postal_code="",
            address="",
            resident=None,
            certificate=None,
            invitation=None,
            anonymised_at=now,
        )
        Letter.objects.filter(anonymised_at=now).exclude(status_reason="").update(status_reason=RETENTION_REASON)
        # The booking codes go with the letters; bookings made with them keep their own record (SET_NULL).
        Invitation.objects.filter(pk__in=invitation_ids).delete()
    pdfs = 0
    for batch in NoticeBatch.objects.filter(month__lt=cutoff, pdf_deleted_at__isnull=True):
        if batch.pdf_path:
            (Path(settings.MEDIA_ROOT) / batch.pdf_path).unlink(missing_ok=True)
            pdfs += 1
        NoticeBatch.objects.filter(pk=batch.pk).update(pdf_path="", pdf_deleted_at=now)
        BatchEvent.objects.create(batch=batch, action="保存期間の処理", detail="PDFを削除し、宛名を消しました")
    run = LetterRetentionRun.objects.create(at=now, cutoff=cutoff, letters=count, pdfs=pdfs)
    logger.info("retention: anonymised %s letters and deleted %s batch PDFs before %s", count, pdfs, cutoff)
    return run


def retention_run(*, now: datetime | None = None) -> LetterRetentionRun:
    """The nightly retention job, in the order that keeps the outcome report's counts: keep on each letter what
    its bookings became, then anonymise the old reservations (cutting their link to the letter's invitation), then
    forget the letters and batch PDFs past their own period."""
    now = now or timezone.now()
    cutoff = retention_cutoff(timezone.localdate(now))
    # The letters one of whose bookings is about to lose its links: by the letter's code, its certificate, or its
    # resident after the letter (the same attribution as report.letter_outcomes).
    going = Reservation.objects.filter(
        slot__day__lt=cutoff, anonymised_at__isnull=True, procedure__in=report.letter_procedures()
    ).exclude(status=Reservation.Status.CANCELLED)
    leading = Letter.objects.filter(outcome_kept_at__isnull=True).filter(
        Exists(going.filter(invitation=OuterRef("invitation")))
        | Exists(going.filter(certificate=OuterRef("certificate")))
        | Exists(going.filter(resident=OuterRef("resident"), created_at__gte=OuterRef("created_at")))
    )
    letters_keep_outcomes(leading, now=now)
    reservations_anonymise(now=now)
    return letters_anonymise(now=now)
