from __future__ import annotations

from datetime import date

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile

from certificates.models import AccessLog, Resident
from notices import eligibility, services
from notices.models import Letter
from tests import factories
from tests.notices.test_letters import FEBRUARY, pages_text, prepared_batch

pytestmark = pytest.mark.django_db


def case_of(letter: Letter) -> str:
    return letter.resident.case_number


def test_the_recipients_csv_holds_case_numbers_only_and_is_logged(supervisor_client, bob, frozen) -> None:
    batch = prepared_batch(2)
    response = supervisor_client.get(f"/staff/notices/batches/{batch.pk}/recipients.csv")
    lines = response.content.decode("utf-8-sig").splitlines()
    assert lines == ["ケース番号", *sorted(case_of(letter) for letter in Letter.objects.all())]
    assert response["Cache-Control"] == "no-store"
    assert AccessLog.objects.filter(user=bob, action="export", detail__contains="宛先のケース番号").exists()


def test_case_numbers_are_read_from_the_named_column_or_the_first_one_in_any_encoding() -> None:
    named = "氏名,ケース番号\r\n山田,Ｃ００００１\r\n鈴木,C00002\r\n".encode("cp932")
    assert eligibility.parse_case_numbers(named) == ["C00001", "C00002"]
    assert eligibility.parse_case_numbers(b"C00003\nC00003\n\nC00004\n") == ["C00003", "C00004"]


def test_an_uploaded_list_ticks_the_letters_and_names_unknown_case_numbers(supervisor_client, frozen) -> None:
    batch = prepared_batch(2)
    first = Letter.objects.order_by("pk").first()
    csv = f"ケース番号\r\n{case_of(first)}\r\nZ99999\r\n".encode()
    response = supervisor_client.post(
        f"/staff/notices/batches/{batch.pk}/eligibility/",
        {"action": "upload", "file": SimpleUploadedFile("ended.csv", csv)},
    )
    page = response.content.decode()
    assert f'value="{first.pk}" id="letter-{first.pk}" checked' in page
    assert "このお知らせの宛先にないケース番号：Z99999" in page
    assert Letter.objects.filter(status="withdrawn").count() == 0  # nothing withdrawn by the upload itself


def test_withdrawing_takes_the_letter_out_of_the_pdf_and_records_the_end_of_eligibility(
    supervisor_client, bob, frozen
) -> None:
    batch = prepared_batch(2)
    first = Letter.objects.order_by("postal_code").first()
    url = f"/staff/notices/batches/{batch.pk}/eligibility/"
    response = supervisor_client.post(url, {"action": "withdraw", "letters": [first.pk], "reason": ""}, follow=True)
    assert "取り下げの理由を入力してください" in response.content.decode()
    supervisor_client.post(url, {"action": "withdraw", "letters": [first.pk], "reason": "保護廃止"})
    first.refresh_from_db()
    batch.refresh_from_db()
    assert (first.status, first.status_reason, first.status_changed_by) == ("withdrawn", "保護廃止", bob)
    assert batch.letter_count == 1 and len(pages_text(batch)) == 2
    resident = Resident.objects.get(pk=first.resident_id)
    assert (resident.eligibility_ended_on, resident.eligibility_end_reason) == (date(2026, 11, 25), "保護廃止")
    assert "有効期限が過ぎています" in supervisor_client.get(f"/book/{first.invitation.code}/").content.decode()
    # A later batch (a supplement for the same month) never writes to them again.
    factories.certificate(resident, issued_on=date(2026, 8, 20))
    assert list(services.due_certificates(FEBRUARY)) == []


def test_a_batch_is_mailed_only_after_the_eligibility_check(supervisor_client, bob, frozen) -> None:
    batch = prepared_batch(2)
    with pytest.raises(ValidationError, match="資格の確認を終えてください"):
        services.notice_batch_mark_mailed(batch=batch, mailed_on=date(2026, 11, 25), user=bob)
    supervisor_client.post(f"/staff/notices/batches/{batch.pk}/eligibility/", {"action": "confirm"})
    batch.refresh_from_db()
    assert batch.eligibility_checked_by == bob
    assert set(Resident.objects.values_list("eligibility_confirmed_on", flat=True)) == {date(2026, 11, 25)}
    services.notice_batch_mark_mailed(batch=batch, mailed_on=date(2026, 11, 25), user=bob)
    assert set(Letter.objects.values_list("status", flat=True)) == {"mailed"}


def test_a_pdf_that_still_holds_a_cancelled_letter_cannot_be_marked_mailed(supervisor_client, bob, frozen) -> None:
    batch = prepared_batch(2)
    letter = Letter.objects.first()
    services.letter_set_status(letter=letter, status="cancelled", reason="転出", user=bob)
    eligibility.batch_eligibility_confirm(batch=batch, user=bob)
    with pytest.raises(ValidationError, match="PDFを作り直して"):
        services.notice_batch_mark_mailed(batch=batch, mailed_on=date(2026, 11, 25), user=bob)
    services.notice_batch_regenerate(batch=batch, user=bob)
    services.notice_batch_mark_mailed(batch=batch, mailed_on=date(2026, 11, 25), user=bob)


def test_a_mailed_batch_cannot_be_withdrawn_from(bob, frozen) -> None:
    batch = prepared_batch(1)
    eligibility.batch_eligibility_confirm(batch=batch, user=bob)
    services.notice_batch_mark_mailed(batch=batch, mailed_on=date(2026, 11, 25), user=bob)
    with pytest.raises(ValidationError, match="発送前"):
        eligibility.letters_withdraw(batch=batch, letter_ids=[Letter.objects.get().pk], reason="保護廃止", user=bob)
