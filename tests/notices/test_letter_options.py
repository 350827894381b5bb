"""What a letter says and to whom, per resident and per setting, on the real database and the real PDF."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from pathlib import Path

import pdfplumber
import pytest
from django.conf import settings

from certificates.models import CertificateKind, Resident
from notices import letters, report, services
from notices.furigana import _align, ruby, to_hiragana
from notices.models import Letter, LetterTemplate, NoticeBatch, ReadingCorrection
from reservations.booking import Contact, reservation_book
from tests import factories

pytestmark = pytest.mark.django_db
FEBRUARY = date(2027, 2, 1)


def resident_due(**fields) -> Resident:
    resident = factories.resident(**fields)
    factories.certificate(resident, issued_on=date(2026, 8, 10))
    return resident


def pages(batch: NoticeBatch) -> list:
    return pdfplumber.open(Path(settings.MEDIA_ROOT) / batch.pdf_path).pages


def flat_text(page) -> str:
    """The page's text at 11 pt and above (readings left out), lines joined."""
    return "".join(c["text"] for c in page.chars if round(c["size"], 1) >= 11)


def readings(page) -> str:
    """The furigana of a 12 pt letter: the 7 pt characters (the name in the window aside: it is on sheet 1)."""
    return "".join(c["text"] for c in page.chars if round(c["size"], 1) == 7.0)


# --- the messages ------------------------------------------------------------------------------------------------


def test_the_letter_asks_to_book_by_internet_or_phone_says_why_and_who_comes(frozen) -> None:
    resident_due()
    text = flat_text(pages(services.notice_batch_prepare(month=FEBRUARY))[1])
    first_message = text.split("1.")[1] if "1." in text else text
    assert "インターネットまたはお電話" in text
    assert "必ずインターネットで" not in text  # never "internet only"
    assert "担当できる職員が限られているため" in text
    assert "ご来庁日の前6か月以内に撮影した写真" in text and "来庁日から" not in text
    assert "定期券を使う方ご本人がお越しください" in text
    assert "通勤定期券だけです（通学定期券は対象外です）" in text
    assert "お手続きの当日にお渡しします" in text
    assert "お電話でも予約できます" in text and first_message


def test_issuing_later_is_a_setting_of_the_certificate_kind_that_changes_the_letter(frozen) -> None:
    CertificateKind.objects.filter(is_letter_kind=True).update(issued_on_the_day=False)
    resident_due()
    text = flat_text(pages(services.notice_batch_prepare(month=FEBRUARY))[1])
    assert "お手続きの当日にはお渡しできません" in text
    assert "お手続きの当日にお渡しします" not in text


def test_a_kind_without_a_photo_gets_no_photo_message_and_no_photo_to_bring(frozen) -> None:
    CertificateKind.objects.filter(is_letter_kind=True).update(photo_required=False)
    resident_due()
    text = flat_text(pages(services.notice_batch_prepare(month=FEBRUARY))[1])
    assert "撮影" not in text and "写真" not in text.replace("写真とご本人を確認します", "")


def test_the_wording_of_an_office_that_kept_the_old_default_is_replaced_and_an_edited_one_is_kept() -> None:
    from importlib import import_module

    from django.apps import apps

    migration = import_module("notices.migrations.0012_letter_for_every_reader")
    template = letters.letter_template()
    template.message_book = migration.OLD_WORDING["message_book"]
    template.message_no_booking = "窓口が混み合うため、予約をお願いします。"
    template.save()
    migration.update_wording(apps, None)
    template.refresh_from_db()
    assert template.message_book == LetterTemplate._meta.get_field("message_book").default
    assert template.message_no_booking == "窓口が混み合うため、予約をお願いします。"


# --- residents who already booked --------------------------------------------------------------------------------


def test_a_resident_who_already_booked_gets_no_letter_and_is_counted(supervisor_client, bob, frozen) -> None:
    booked = resident_due(family_name="予約", given_name="済子")
    resident_due(family_name="鈴木", given_name="一郎")
    slot = factories.slot(date(2026, 12, 3))
    reservation = reservation_book(
        procedure=slot.procedure,
        slot_id=slot.pk,
        acknowledged=list(slot.procedure.acknowledgements.values_list("pk", flat=True)),
        contact=Contact("予約", "済子", "ヨヤク", "スミコ", "090-1111-2222"),
    )
    type(reservation).objects.filter(pk=reservation.pk).update(resident=booked)  # as the counter links it
    batch = services.notice_batch_prepare(month=FEBRUARY)
    skipped = Letter.objects.get(resident=booked)
    assert skipped.status == Letter.Status.ALREADY_BOOKED and skipped.invitation is None
    assert skipped.status_reason == f"予約番号 {reservation.display_number}（2026年12月3日）"
    assert batch.letter_count == 1
    printed = pages(batch)
    assert len(printed) == 2  # the cover and one letter
    assert "予約済みのため送付なし" in printed[0].extract_text() and "済子" not in printed[1].extract_text()
    # The cover and the batch page give the letters printed, and the ones not printed beside them.
    assert "印刷する通数 1通" in printed[0].extract_text()
    assert "予約済みのため送付なし 1名" in printed[0].extract_text()
    # The batch page and the report count them; the batch can still be marked mailed.
    html = supervisor_client.get(f"/staff/notices/batches/{batch.pk}/").content.decode()
    assert "<dt>印刷する通数</dt><dd>1通</dd>" in html
    assert "<dt>予約済みのため送付なし</dt><dd>1名（印刷していません）</dd>" in html
    assert "予約済みのため送付なし" in html and f"/letters/{skipped.pk}/letter.pdf" not in html
    # The PDF's digest is kept for the record, folded away from the supervisor's view.
    assert batch.pdf_sha256 and html.index("<details>") < html.index(batch.pdf_sha256)
    assert "予約済みのため送付せず" in html
    assert report.funnel(Letter.objects.filter(batch=batch), label="").already_booked == 1
    from notices import eligibility

    eligibility.batch_eligibility_confirm(batch=batch, user=bob)
    services.notice_batch_mark_mailed(batch=batch, mailed_on=date(2026, 11, 25), user=bob)
    assert Letter.objects.get(pk=skipped.pk).status == Letter.Status.ALREADY_BOOKED
    assert supervisor_client.get(f"/staff/notices/letters/{skipped.pk}/letter.pdf").status_code == 404


def test_a_cancelled_or_past_booking_does_not_hold_the_letter_back(frozen) -> None:
    resident = resident_due()
    slot = factories.slot(date(2026, 12, 3))
    reservation = reservation_book(
        procedure=slot.procedure,
        slot_id=slot.pk,
        acknowledged=list(slot.procedure.acknowledgements.values_list("pk", flat=True)),
        contact=Contact("山田", "花子", "ヤマダ", "ハナコ", "090-1111-2222"),
    )
    type(reservation).objects.filter(pk=reservation.pk).update(resident=resident, status="cancelled")
    services.notice_batch_prepare(month=FEBRUARY)
    assert Letter.objects.get().status == Letter.Status.PREPARED


# --- the address block ----------------------------------------------------------------------------------------


def test_the_address_fits_by_shrinking_and_a_word_too_long_for_the_window_is_flagged() -> None:
    template = LetterTemplate(address_width_mm=Decimal(90), address_height_mm=Decimal(40))
    short = letters.address_fit(
        template, postal_code="530-0001", address="大阪府大阪市北区梅田1丁目2番3号", building="", name="山田 花子"
    )
    assert short.fits and short.size_pt == 12
    spaced = letters.address_fit(
        template,
        postal_code="530-0001",
        address="大阪府大阪市北区 梅田1丁目2番3号",
        building="グランドメゾン梅田タワーレジデンス 3201号",
        name="山田 花子",
    )
    assert spaced.fits
    unbroken = letters.address_fit(
        template,
        postal_code="530-0001",
        address="大阪府大阪市北区梅田一丁目二番三号グランドメゾン梅田",  # 26 characters, no space: no place to break
        building="",
        name="山田 花子",
    )
    assert not unbroken.fits


def test_an_address_that_cannot_fit_is_named_on_the_batch_page_and_cover_until_corrected(
    supervisor_client, frozen
) -> None:
    resident = resident_due(address="大阪府大阪市北区梅田一丁目二番三号グランドメゾン梅田")
    batch = services.notice_batch_prepare(month=FEBRUARY)
    letter = Letter.objects.get()
    html = supervisor_client.get(f"/staff/notices/batches/{batch.pk}/").content.decode()
    assert "宛名が封筒の窓に収まらないお知らせが1通あります" in html and "宛名が窓に収まりません" in html
    assert f"#{letter.pk}" in pages(batch)[0].extract_text()
    # The clerk puts a space where the line may break; the PDF made again prints the corrected address.
    Resident.objects.filter(pk=resident.pk).update(address="大阪府大阪市北区 梅田一丁目二番三号 グランドメゾン梅田")
    supervisor_client.post(f"/staff/notices/batches/{batch.pk}/", {"action": "regenerate"})
    letter.refresh_from_db()
    assert letter.address == "大阪府大阪市北区 梅田一丁目二番三号 グランドメゾン梅田"
    assert letters.letters_not_fitting(batch, letters.letter_template()) == []
    html = supervisor_client.get(f"/staff/notices/batches/{batch.pk}/").content.decode()
    assert "宛名が窓に収まりません" not in html
    batch.refresh_from_db()
    assert "グランドメゾン梅田" in pages(batch)[1].extract_text()


def test_the_batch_page_and_the_wording_page_link_the_calibration_sheet(supervisor_client, frozen) -> None:
    resident_due()
    batch = services.notice_batch_prepare(month=FEBRUARY)
    for url in (f"/staff/notices/batches/{batch.pk}/", "/staff/notices/wording/"):
        assert "/staff/notices/wording/calibration.pdf" in supervisor_client.get(url).content.decode()


# --- per-resident options -----------------------------------------------------------------------------------------


def test_a_clerk_sets_large_print_and_furigana_on_the_record(clerk_client) -> None:
    from tests.certificates.test_edit_and_renew import _edit_data

    resident = factories.resident()
    data = {**_edit_data(resident), "letter_large_print": "on", "letter_furigana": "on"}
    response = clerk_client.post(f"/staff/residents/{resident.pk}/edit/", data)
    assert response.status_code == 302
    resident.refresh_from_db()
    assert resident.letter_large_print and resident.letter_furigana
    page = clerk_client.get(f"/staff/residents/{resident.pk}/").content.decode()
    assert "大きな文字" in page and "ふりがな付き" in page


def test_only_the_residents_who_asked_get_two_sheets(frozen) -> None:
    resident_due(family_name="普通", given_name="一郎")
    resident_due(family_name="大字", given_name="二郎", letter_large_print=True)
    batch = services.notice_batch_prepare(month=FEBRUARY)
    assert len(pages(batch)) == 1 + 1 + 2


# --- furigana and the office's corrections ------------------------------------------------------------------------


def test_readings_split_around_the_kana_of_a_word() -> None:
    assert _align("使う方", "つかうかた") == [("使", "つか"), ("う", ""), ("方", "かた")]
    assert _align("来庁日", "らいちょうび") == [("来庁日", "らいちょうび")]
    assert to_hiragana("ヤマダ ﾊﾅｺ") == "やまだ はなこ"


def test_furigana_html_escapes_the_text_and_keeps_line_breaks() -> None:
    html = ruby("<b>証明書</b>\n写真", fixed={})
    assert "<b>" not in html and "&lt;b&gt;" in html
    assert '<span class="rt">しょうめいしょ</span>証明書' in html and "<br>" in html


def test_a_reading_corrected_by_the_supervisor_changes_the_printed_furigana(supervisor_client, frozen) -> None:
    resident_due(letter_furigana=True)
    batch = services.notice_batch_prepare(month=FEBRUARY)
    # 行き違い, in the closing line on the second sheet: the readings sit over 行 and 違 only (い・ちが).
    before = readings(pages(batch)[2])
    assert "いちが" in before  # as the dictionary reads it
    response = supervisor_client.post(
        "/staff/notices/wording/readings/", {"action": "save", "word": "行き違い", "reading": "ユキチガイ"}
    )
    assert response.status_code == 302
    assert ReadingCorrection.objects.get(word="行き違い").reading == "ゆきちがい"
    supervisor_client.post(f"/staff/notices/batches/{batch.pk}/", {"action": "regenerate"})
    batch.refresh_from_db()
    after = readings(pages(batch)[2])
    assert "ゆちが" in after and "いちが" not in after


def test_a_wrong_correction_is_refused_in_japanese_and_saves_nothing(supervisor_client) -> None:
    count = ReadingCorrection.objects.count()
    response = supervisor_client.post(
        "/staff/notices/wording/readings/", {"action": "save", "word": "ひらがな", "reading": "漢字"}
    )
    html = response.content.decode()
    assert response.status_code == 200
    assert "漢字を含む語を入力してください" in html and "ひらがな（またはカタカナ）だけで入力してください" in html
    assert ReadingCorrection.objects.count() == count


def test_the_readings_page_shows_a_sample_and_deletes_a_correction(supervisor_client) -> None:
    page = supervisor_client.get("/staff/notices/wording/readings/?try=来庁日").content.decode()
    assert '<span class="rt">らいちょうび</span>来庁日' in page
    correction = ReadingCorrection.objects.get(word="来庁日")
    supervisor_client.post("/staff/notices/wording/readings/", {"action": "delete", "pk": correction.pk})
    assert not ReadingCorrection.objects.filter(word="来庁日").exists()
    page = supervisor_client.get("/staff/notices/wording/readings/?try=来庁日").content.decode()
    assert "らいちょうび" not in page


def test_a_clerk_cannot_open_the_readings_page(clerk_client) -> None:
    assert clerk_client.get("/staff/notices/wording/readings/").status_code in (302, 403)


def test_the_demo_data_has_a_large_print_and_a_furigana_letter_in_the_next_batch(settings, frozen) -> None:
    from django.core.management import call_command

    settings.DEBUG = True
    call_command("seed_demo", residents=40, verbosity=0)
    large = Resident.objects.get(letter_large_print=True)
    ruby_reader = Resident.objects.get(letter_furigana=True)
    due = services.due_certificates(services.default_target_month(date(2026, 11, 25)))
    assert {large.pk, ruby_reader.pk} <= set(due.values_list("resident_id", flat=True))
    assert all(services.existing_booking(c) is None for c in due.filter(resident__in=[large, ruby_reader]))
