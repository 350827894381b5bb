"""The eligibility check before a batch is mailed.

Entitlement ends (保護廃止, the allowance stopped, a 現況届 not returned) without the register hearing of it, so
before mailing the supervisor checks the batch's recipients against the benefits system: the case numbers go out
as a CSV, the case numbers no longer eligible come back as a CSV (or are ticked on screen), and those letters are
withdrawn with a reason. The resident's eligibility is then recorded as ended, so no later batch writes to them.
"""

from __future__ import annotations

import csv
import io
from datetime import date, datetime, timedelta

from django.contrib.auth.models import User
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from certificates import jp
from certificates.models import AccessLog, Resident
from certificates.register import header_key
from certificates.register_files import decode_text
from certificates.services import access_log_record
from notices.models import BatchEvent, Letter, NoticeBatch
from reservations.models import Invitation

CASE_HEADER = "ケース番号"


def batch_recipients(batch: NoticeBatch):
    return (
        Letter.objects.filter(batch=batch, status=Letter.Status.PREPARED)
        .select_related("resident")
        .order_by("resident__case_number", "pk")
    )


def batch_recipient_cases(*, batch: NoticeBatch, user: User) -> list[str]:
    """The case numbers of the batch's recipients: the least the benefits system needs to check them."""
    cases = sorted({letter.resident.case_number for letter in batch_recipients(batch)})
    access_log_record(
        user=user, action=AccessLog.Action.EXPORT, detail=f"お知らせ {batch.label} の宛先のケース番号（{len(cases)}件）"
    )
    return cases


def parse_case_numbers(content: bytes) -> list[str]:
    """Case numbers from an uploaded CSV: the 「ケース番号」 column when there is one, else the first column."""
    text, _encoding = decode_text(content)
    rows = [row for row in csv.reader(io.StringIO(text, newline="")) if any(cell.strip() for cell in row)]
    if not rows:
        raise ValidationError("ファイルにケース番号がありません。")
    column = 0
    headers = [header_key(cell) for cell in rows[0]]
    if CASE_HEADER in headers:
        column = headers.index(CASE_HEADER)
        rows = rows[1:]
    cases: list[str] = []
    for row in rows:
        if column < len(row):
            case = jp.normalize_digits(row[column])
            if case and case not in cases:
                cases.append(case)
    return cases


def match_case_numbers(batch: NoticeBatch, cases: list[str]) -> tuple[list[int], list[str]]:
    """The batch's letters (ids) to those case numbers, and the case numbers not among its recipients."""
    by_case: dict[str, list[int]] = {}
    for letter in batch_recipients(batch):
        by_case.setdefault(letter.resident.case_number, []).append(letter.pk)
    letters = [pk for case in cases for pk in by_case.get(case, [])]
    unknown = [case for case in cases if case not in by_case]
    return letters, unknown


def letters_withdraw(
    *,
    batch: NoticeBatch,
    letter_ids: list[int],
    reason: str,
    user: User,
    today: date | None = None,
    now: datetime | None = None,
) -> int:
    """Withdraw the letters of residents no longer eligible; record their eligibility as ended. Returns how many."""
    today = today or timezone.localdate()
    now = now or timezone.now()
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": "取り下げの理由を入力してください（例：保護廃止）。"})
    if not letter_ids:
        raise ValidationError("取り下げるお知らせを選んでください。")
    with transaction.atomic():
        batch = NoticeBatch.objects.select_for_update().get(pk=batch.pk)
        if batch.status != NoticeBatch.Status.PREPARED:
            raise ValidationError("資格の確認による取り下げは、作成済みで発送前のお知らせにだけできます。")
        letters = list(
            Letter.objects.select_for_update(of=("self",))
            .filter(batch=batch, pk__in=letter_ids, status=Letter.Status.PREPARED)
            .select_related("resident")
        )
        for letter in letters:
            letter.status = Letter.Status.WITHDRAWN
            letter.status_reason = reason[:200]
            letter.status_changed_at = now
            letter.status_changed_by = user
        Letter.objects.bulk_update(letters, ["status", "status_reason", "status_changed_at", "status_changed_by"])
        # The code printed on a letter that is never sent must not book anything either.
        Invitation.objects.filter(letter__in=letters, valid_until__gte=today).update(
            valid_until=today - timedelta(days=1)
        )
        residents = {letter.resident_id for letter in letters if letter.resident_id is not None}
        Resident.objects.filter(pk__in=residents, eligibility_ended_on__isnull=True).update(
            eligibility_ended_on=today, eligibility_end_reason=reason[:200], updated_at=now
        )
        AccessLog.objects.bulk_create(
            AccessLog(
                at=now, user=user, action=AccessLog.Action.UPDATE, resident_id=pk, detail=f"資格の終了：{reason}"[:200]
            )
            for pk in sorted(residents)
        )
        if letters:
            BatchEvent.objects.create(
                batch=batch, user=user, action="資格確認で取り下げ", detail=f"{len(letters)}通（{reason}）"[:200]
            )
    return len(letters)


@transaction.atomic
def batch_eligibility_confirm(
    *, batch: NoticeBatch, user: User, today: date | None = None, now: datetime | None = None
) -> NoticeBatch:
    """The supervisor has checked every recipient: the batch may be mailed, each one's check date is recorded."""
    today = today or timezone.localdate()
    now = now or timezone.now()
    batch = NoticeBatch.objects.select_for_update().get(pk=batch.pk)
    if batch.status != NoticeBatch.Status.PREPARED:
        raise ValidationError("資格の確認は、作成済みで発送前のお知らせにだけ記録できます。")
    Resident.objects.filter(
        pk__in=Letter.objects.filter(batch=batch, status=Letter.Status.PREPARED).values("resident_id")
    ).update(eligibility_confirmed_on=today)
    batch.eligibility_checked_at = now
    batch.eligibility_checked_by = user
    batch.save(update_fields=["eligibility_checked_at", "eligibility_checked_by"])
    BatchEvent.objects.create(batch=batch, user=user, action="資格の確認", detail=f"{today.isoformat()}")
    return batch
