from __future__ import annotations

import io
from datetime import date
from pathlib import Path

import pytest
from django.conf import settings
from pypdf import PdfReader

from notices import eligibility, services
from notices.models import Letter, LetterTemplate, NoticeBatch
from reservations.models import DutyException, Reservation, WalkIn
from tests import factories

pytestmark = pytest.mark.django_db

FEBRUARY = date(2027, 2, 1)
WELFARE_WORDS = ["生活保護", "児童扶養手当", "福祉", "手当"]


def prepared_batch(count: int = 2) -> NoticeBatch:
    postal_codes = ["650-0021", "530-0001", "604-8005"]
    for i in range(count):
        resident = factories.resident(
            family_name=["鈴木", "高橋", "伊藤"][i],
            given_name="一郎",
            postal_code=postal_codes[i],
            address=f"大阪府大阪市北区{i + 1}丁目",
        )
        factories.certificate(resident, issued_on=date(2026, 8, 10 + i))
    return services.notice_batch_prepare(month=FEBRUARY)


def pages_text(batch: NoticeBatch) -> list[str]:
    reader = PdfReader(Path(settings.MEDIA_ROOT) / batch.pdf_path)
    return [page.extract_text() for page in reader.pages]


def test_the_pdf_has_a_cover_and_one_page_per_letter_sorted_by_postal_code(frozen) -> None:
    batch = prepared_batch(3)
    pages = pages_text(batch)
    assert len(pages) == 4
    assert "3通" in pages[0] and "2027年2月" in pages[0]
    for name in ("鈴木", "高橋", "伊藤"):
        assert name not in pages[0]  # the cover lists no personal data
    assert [p.split("\n")[0] for p in pages[1:]] == ["530-0001", "604-8005", "650-0021"]


def test_each_letter_holds_name_wareki_date_code_and_expiry(frozen) -> None:
    batch = prepared_batch(1)
    letter = Letter.objects.get()
    text = pages_text(batch)[1]
    assert "鈴木 一郎 様" in text
    assert "令和8年(2026年)11月25日" in text  # the letter's date
    assert "令和9年(2027年)2月10日" in text  # the expiry date
    assert letter.invitation.display_code in text
    assert f"/book/{letter.invitation.code}/" in text
    flat = text.replace("\n", "")
    assert "予約なしでお越しの場合" in flat and "6か月以内に撮影した写真" in flat and "縦4cm×横3cm" in flat
    assert "〒" not in text.split("様")[0]  # the address block has no 〒


def test_the_address_block_says_nothing_of_welfare(frozen) -> None:
    batch = prepared_batch(1)
    window = pages_text(batch)[1].split("様")[0]
    for word in WELFARE_WORDS:
        assert word not in window


def test_the_batch_pdf_is_stored_with_its_checksum(frozen) -> None:
    import hashlib

    batch = prepared_batch(2)
    data = (Path(settings.MEDIA_ROOT) / batch.pdf_path).read_bytes()
    assert hashlib.sha256(data).hexdigest() == batch.pdf_sha256
    assert batch.pdf_bytes == len(data)


def test_the_batch_pdf_and_its_folder_are_readable_by_the_service_user_only(frozen) -> None:
    import os

    old_umask = os.umask(0o022)  # even a process with a lax umask writes the letters privately
    try:
        batch = prepared_batch(1)
    finally:
        os.umask(old_umask)
    path = Path(settings.MEDIA_ROOT) / batch.pdf_path
    assert path.stat().st_mode & 0o777 == 0o600
    assert path.parent.stat().st_mode & 0o777 == 0o700


def test_only_the_supervisor_opens_the_letter_pages(client, alice, frozen) -> None:
    batch = prepared_batch(1)
    client.force_login(alice)
    for url in [
        "/staff/notices/",
        f"/staff/notices/batches/{batch.pk}/",
        f"/staff/notices/batches/{batch.pk}/letters.pdf",
        "/staff/notices/outcomes/",
        "/staff/notices/wording/",
    ]:
        assert client.get(url).status_code == 403


def test_the_supervisor_prepares_downloads_and_marks_a_batch_mailed(supervisor_client, bob, frozen) -> None:
    factories.certificate(factories.resident(), issued_on=date(2026, 8, 10))
    response = supervisor_client.post("/staff/notices/", {"month": "2027-02"})
    batch = NoticeBatch.objects.get()
    assert response["Location"] == f"/staff/notices/batches/{batch.pk}/"
    assert batch.prepared_by == bob
    pdf = supervisor_client.get(f"/staff/notices/batches/{batch.pk}/letters.pdf")
    assert len(PdfReader(io.BytesIO(b"".join(pdf.streaming_content))).pages) == 2
    response = supervisor_client.post(
        f"/staff/notices/batches/{batch.pk}/", {"action": "mailed", "mailed_on": "2026-11-26"}, follow=True
    )
    assert "未来の日付" in response.content.decode()
    supervisor_client.post(f"/staff/notices/batches/{batch.pk}/eligibility/", {"action": "confirm"})
    supervisor_client.post(f"/staff/notices/batches/{batch.pk}/", {"action": "mailed", "mailed_on": "2026-11-25"})
    batch.refresh_from_db()
    assert (batch.status, batch.mailed_on, batch.mailed_by) == ("mailed", date(2026, 11, 25), bob)
    assert Letter.objects.get().status == "mailed"


def test_returned_mail_is_recorded_with_a_reason(supervisor_client, bob, frozen) -> None:
    batch = prepared_batch(1)
    eligibility.batch_eligibility_confirm(batch=batch, user=bob)
    services.notice_batch_mark_mailed(batch=batch, mailed_on=date(2026, 11, 25), user=bob)
    letter = Letter.objects.get()
    supervisor_client.post(f"/staff/notices/letters/{letter.pk}/status/", {"status": "returned", "reason": ""})
    letter.refresh_from_db()
    assert letter.status == "mailed"
    supervisor_client.post(f"/staff/notices/letters/{letter.pk}/status/", {"status": "returned", "reason": "宛所不明"})
    letter.refresh_from_db()
    assert (letter.status, letter.status_reason, letter.status_changed_by) == ("returned", "宛所不明", bob)


def test_a_cancelled_letter_leaves_the_regenerated_pdf_and_its_code_stops_working(
    supervisor_client, bob, frozen
) -> None:
    batch = prepared_batch(2)
    letter = Letter.objects.order_by("postal_code").first()
    supervisor_client.post(f"/staff/notices/letters/{letter.pk}/status/", {"status": "cancelled", "reason": "死亡"})
    supervisor_client.post(f"/staff/notices/batches/{batch.pk}/", {"action": "regenerate"})
    batch.refresh_from_db()
    assert len(pages_text(batch)) == 2
    assert batch.events.filter(action="PDFの作り直し", user=bob).exists()
    assert "有効期限が過ぎています" in supervisor_client.get(f"/book/{letter.invitation.code}/").content.decode()


def test_one_letter_can_be_viewed_again(supervisor_client, frozen) -> None:
    prepared_batch(1)
    letter = Letter.objects.get()
    response = supervisor_client.get(f"/staff/notices/letters/{letter.pk}/letter.pdf")
    text = PdfReader(io.BytesIO(response.content)).pages[0].extract_text()
    assert "鈴木 一郎 様" in text


def test_the_outcome_report_follows_letters_to_bookings_visits_and_certificates(
    supervisor_client, bob, alice, frozen
) -> None:
    from reservations.booking import Contact, reservation_book

    batch = prepared_batch(3)
    eligibility.batch_eligibility_confirm(batch=batch, user=bob)
    services.notice_batch_mark_mailed(batch=batch, mailed_on=date(2026, 11, 25), user=bob)
    letters = list(Letter.objects.order_by("postal_code"))
    slot = factories.slot(date(2026, 11, 26), places=5)
    acks = list(slot.procedure.acknowledgements.values_list("pk", flat=True))
    for i, letter in enumerate(letters[:2]):
        reservation_book(
            procedure=slot.procedure,
            slot_id=slot.pk,
            acknowledged=acks,
            invitation_code=letter.invitation.code,
            contact=Contact("鈴木", "一郎", "スズキ", "イチロウ", f"090-5000-000{i}"),
        )
    first, second = Reservation.objects.order_by("pk")
    Reservation.objects.filter(pk=first.pk).update(status="done")
    Reservation.objects.filter(pk=second.pk).update(status="no_show")
    factories.certificate(letters[0].resident, issued_on=date(2026, 11, 25), renews=letters[0].certificate)
    WalkIn.objects.create(procedure=slot.procedure, day=date(2027, 2, 3), recorded_by=alice)
    html = supervisor_client.get(f"/staff/notices/batches/{batch.pk}/").content.decode()
    # 3 mailed: 2 booked, 1 visited and issued, 1 no-show; the walk-in of February is the report's, by month.
    assert '<th scope="row">発送したお知らせ</th><td>3</td><td>—</td>' in html
    assert '<th scope="row">予約</th><td>2</td><td>66.7%</td>' in html
    assert '<th scope="row">来庁</th><td>1</td><td>33.3%</td>' in html
    assert '<th scope="row">交付</th><td>1</td><td>33.3%</td>' in html
    assert '<th scope="row">来庁なし（予約したが来なかった）</th><td>1</td><td>33.3%</td>' in html
    assert '<th scope="row">返送</th><td>0</td><td>0.0%</td>' in html
    response = supervisor_client.get("/staff/notices/outcomes/?month=2027-02")
    assert "<svg" in response.content.decode() and "<script" not in response.content.decode()
    csv_body = supervisor_client.get("/staff/notices/outcomes/?month=2027-02&table=batches").content.decode("utf-8")
    assert "2027年2月,3,3,2,66.7%,1,33.3%,1,33.3%,1,33.3%,0,0.0%" in csv_body


def test_the_forecast_compares_expiring_certificates_with_bookable_places(supervisor_client, frozen) -> None:
    from notices.selectors import forecast

    for _ in range(3):
        factories.certificate(issued_on=date(2026, 7, 10))  # expiring January 2027
    # Two qualified clerks at the counter every weekday; one of them on leave on 6 January.
    sato, ito = factories.clerk("sato"), factories.clerk("ito")
    factories.weekly(sato)
    factories.weekly(ito)
    DutyException.objects.create(user=sato, day=date(2027, 1, 6), kind="leave")
    rows = forecast(date(2026, 11, 25))
    january = next(r for r in rows if r.month == date(2027, 1, 1))
    assert january.expiring == 3
    # 4 weeks before 1 January to 31 January: office days × 13 slots × 2 places, less one place per slot on 6 January.
    from reservations.calendar import office_days

    assert january.places == len(office_days(january.window_start, date(2027, 1, 31))) * 13 * 2 - 13
    assert not january.short


def test_the_wording_refuses_unknown_placeholders_and_previews(supervisor_client, frozen, settings) -> None:
    settings.NOTICE_PREVIEW_SECONDS = 600  # a slow machine must not turn this into the time-limit page
    from notices.letters import letter_template

    template = letter_template()
    fields = ["title", *LetterTemplate.WORDING_FIELDS]
    fields += ["address_top_mm", "address_left_mm", "address_width_mm", "address_height_mm"]
    data = {f: getattr(template, f) for f in fields}
    response = supervisor_client.post("/staff/notices/wording/", {**data, "greeting": "{nmae} 様"})
    assert "使えない差し込み" in response.content.decode()
    supervisor_client.post("/staff/notices/wording/", {**data, "message_book": "{name}様、必ず予約してください。"})
    assert letter_template().message_book.startswith("{name}")
    preview = supervisor_client.get("/staff/notices/wording/preview.pdf")
    assert "見本 太郎様、必ず予約してください。" in PdfReader(io.BytesIO(preview.content)).pages[0].extract_text()


def test_the_contact_block_offers_fax_and_email_for_residents_who_cannot_phone(frozen) -> None:
    from reservations.models import Office

    factories.procedure()
    Office.objects.update(fax="06-0000-0001", email="shomei@city.example.jp")
    text = pages_text(prepared_batch(1))[1]
    assert "FAX 06-0000-0001" in text
    assert "shomei@city.example.jp" in text


def test_the_letter_lists_the_procedures_checklist_so_a_change_shows_on_the_next_letters(frozen) -> None:
    procedure = factories.procedure()
    procedure.what_to_bring = "今お持ちの証明書（更新の場合）\n本人確認書類（運転免許証など）"
    procedure.save()
    text = pages_text(prepared_batch(1))[1].replace("\n", "")
    assert "写真（縦4cm×横3cm、ご来庁日の前6か月以内に撮影したもの）" in text
    assert "本人確認書類（運転免許証など）" in text
    assert "児童扶養手当証書" not in text
