"""What a resident reads says one thing once: the home page names each office and the walk-in rule once, the
English pages are English throughout (names, photo size, punctuation), a failed submit says so at the top and in
the title, and the photo rule is worded the same on every page and e-mail."""

from __future__ import annotations

import re
from datetime import date, time

import pytest

from reservations.models import Reservation
from tests import factories
from tests.reservations.helpers import CONTACT, ack_data, book

pytestmark = pytest.mark.django_db

THURSDAY = date(2026, 11, 26)
LATIN = {**CONTACT, "family_name": "Smith", "given_name": "John", "family_name_kana": "", "given_name_kana": ""}
FULL_WIDTH_PUNCTUATION = re.compile(r"[：（）、〜]")
JAPANESE = re.compile(r"[\u3040-\u30ff\u4e00-\u9fff]")


@pytest.fixture
def slot(frozen):
    return factories.slot(THURSDAY, time(9, 0), places=2)


@pytest.fixture
def branch(slot):
    office = slot.procedure.office
    office.name_en, office.address_en, office.hours_text_en = "Minato City Hall", "1-1 Minato", "Weekdays 8:45–17:15"
    office.save()
    branch, procedure = factories.office_with_procedure(
        "みなと市 北支所", phone="06-2222-0000", slug="jr-pass-kita", name_en="Minato City North Branch"
    )
    return procedure


def main_text(html: str) -> str:
    main = html.split("<main", 1)[1].split(">", 1)[1].split("</main>")[0]
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", main))


def title(html: str) -> str:
    return re.search(r"<title>(.*?)</title>", html, re.S).group(1).strip()


def english(client) -> None:
    client.get("/language/en/?next=/")


# --- the home page ---------------------------------------------------------------------------------------------


def test_the_home_page_names_each_office_and_says_the_walk_in_rule_once(client, branch) -> None:
    text = main_text(client.get("/").content.decode())
    assert "JR定期券割引の証明書の発行（市役所）" in text
    assert "JR定期券割引の証明書の発行（みなと市 北支所）" in text
    assert text.count("予約なしでの来庁は受け付けていません。") == 1
    assert "対応できないことがあります" not in text
    english(client)
    text = main_text(client.get("/").content.decode())
    assert "JR commuter pass discount certificate (Minato City Hall)" in text
    assert "JR commuter pass discount certificate (Minato City North Branch)" in text
    assert text.count("Visits without a booking are not accepted.") == 1
    assert "may not be able to serve" not in text


def test_one_office_needs_no_office_name_after_the_procedure(client, slot) -> None:
    text = main_text(client.get("/").content.decode())
    assert "JR定期券割引の証明書の発行 " in text and "JR定期券割引の証明書の発行（" not in text


def test_procedures_with_different_walk_in_rules_each_say_their_own(client, branch) -> None:
    branch.walk_ins_accepted = True
    branch.save()
    text = main_text(client.get("/").content.decode())
    assert text.count("予約なしでの来庁は受け付けていません。") == 1
    assert text.count("予約なしでも受け付けますが") == 1
    north = text.split("（みなと市 北支所）", 1)[1]
    assert north.lstrip().startswith("予約なしでも受け付けますが")


def test_every_procedure_taking_walk_ins_is_said_once_at_the_top(client, branch) -> None:
    from reservations.models import Procedure

    Procedure.objects.update(walk_ins_accepted=True)
    text = main_text(client.get("/").content.decode())
    assert text.count("予約なしでも受け付けますが") == 1
    assert text.index("予約なしでも受け付けますが") < text.index("予約できる手続き")
    assert "受け付けていません" not in text


# --- English ---------------------------------------------------------------------------------------------------


def test_the_english_booking_pages_have_no_japanese_words_or_punctuation(client, branch, slot) -> None:
    english(client)
    pages = {
        "home": client.get("/").content.decode(),
        "calendar": client.get("/book/p/jr-pass/").content.decode(),
        "times": client.get(f"/book/p/jr-pass/{THURSDAY}/").content.decode(),
    }
    client.post(f"/book/p/jr-pass/{THURSDAY}/", {"slot": slot.pk})
    pages["acknowledgements"] = client.get("/book/acknowledgements/").content.decode()
    pages["acknowledgements, none ticked"] = client.post("/book/acknowledgements/", {"x": "1"}).content.decode()
    client.post("/book/acknowledgements/", ack_data(slot.procedure))
    pages["details, empty"] = client.post("/book/details/", {"x": "1"}).content.decode()
    client.post("/book/details/", LATIN)
    pages["confirm"] = client.get("/book/confirm/").content.decode()
    done = client.post("/book/confirm/")
    pages["done"] = client.get(done["Location"]).content.decode()
    token = Reservation.objects.get().token
    pages["cancel"] = client.get(f"/reservation/{token}/cancel/").content.decode()
    pages["lookup, wrong"] = client.post("/reservation/", {"number": "", "phone": ""}).content.decode()
    pages["not found"] = client.get("/no-such-page/").content.decode()
    for name, html in pages.items():
        text = main_text(html)
        assert not FULL_WIDTH_PUNCTUATION.findall(text), (name, text)
        assert not JAPANESE.findall(text), (name, text)
    assert "You can also book at another office: Minato City North Branch" in main_text(pages["calendar"])
    assert "Office: Minato City Hall (1-1 Minato)" in main_text(pages["calendar"])
    assert "Family name: Enter family name." in main_text(pages["details, empty"])
    footer = pages["home"].split('<footer class="site-footer"', 1)[1]
    assert "Minato City Hall Phone 000-000-0000" in re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", footer))


def test_the_english_statement_gives_the_photo_size_in_english(client, slot) -> None:
    english(client)
    client.post(f"/book/p/jr-pass/{THURSDAY}/", {"slot": slot.pk})
    text = main_text(client.get("/book/acknowledgements/").content.decode())
    assert "(4 cm high × 3 cm wide, front, upper body, no hat)" in text
    assert "縦4cm" not in text


def test_the_missing_page_names_the_home_button_as_it_is_labelled(client, branch) -> None:
    for language, label in (("ja", "お知らせの予約コードで予約する"), ("en", "Book with the code from your letter")):
        client.get(f"/language/{language}/?next=/")
        home = client.get("/").content.decode()
        missing = client.get("/no-such-page/").content.decode()
        assert f'href="/book/code/">{label}</a>' in home
        assert f"「{label}」" in missing or f"“{label}”" in missing
        assert f'href="/book/code/">{label}</a>' in missing
    assert "Minato City Hall Phone" in main_text(missing)


def test_an_empty_english_details_form_does_not_ask_for_the_optional_readings(client, slot) -> None:
    english(client)
    client.post(f"/book/p/jr-pass/{THURSDAY}/", {"slot": slot.pk})
    client.post("/book/acknowledgements/", ack_data(slot.procedure))
    html = client.post("/book/details/", {"x": "1"}).content.decode()
    assert "Enter family name." in html
    assert "reading" not in main_text(html).lower()
    assert re.search(r"in katakana or Latin letters\s*<span class=\"opt\">Optional", html)
    assert not Reservation.objects.exists()


def test_an_english_name_not_in_latin_letters_is_told_why_it_needs_a_reading(client, slot) -> None:
    english(client)
    client.post(f"/book/p/jr-pass/{THURSDAY}/", {"slot": slot.pk})
    client.post("/book/acknowledgements/", ack_data(slot.procedure))
    contact = {**CONTACT, "family_name_kana": "", "given_name_kana": "ヨウコ"}
    html = client.post("/book/details/", contact).content.decode()
    assert "Your family name is not in Latin letters: enter its reading in katakana or Latin letters" in html
    assert "given name is not in Latin letters" not in html
    assert not Reservation.objects.exists()


def test_a_japanese_booking_still_asks_for_both_readings(client, slot) -> None:
    client.post(f"/book/p/jr-pass/{THURSDAY}/", {"slot": slot.pk})
    client.post("/book/acknowledgements/", ack_data(slot.procedure))
    html = client.post("/book/details/", {"x": "1"}).content.decode()
    assert "セイ（フリガナ）を入力してください。" in html and "メイ（フリガナ）を入力してください。" in html


# --- a failed submit -------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("language", "prefix"), [("ja", "入力内容を確認してください："), ("en", "Check your entries: ")]
)
def test_a_failed_submit_puts_the_summary_first_and_names_it_in_the_title(client, slot, language, prefix) -> None:
    client.get(f"/language/{language}/?next=/")
    client.post(f"/book/p/jr-pass/{THURSDAY}/", {"slot": slot.pk})
    first = client.get("/book/acknowledgements/").content.decode()
    assert not title(first).startswith(prefix)
    failed = {
        "acknowledgements": client.post("/book/acknowledgements/", {"x": "1"}).content.decode(),
    }
    client.post("/book/acknowledgements/", ack_data(slot.procedure))
    failed["details"] = client.post("/book/details/", {**CONTACT, "phone": ""}).content.decode()
    for name, html in failed.items():
        assert title(html).startswith(prefix), name
        main = html.split('<main id="main" class="wrap" tabindex="-1">', 1)[1].lstrip()
        assert main.startswith('<div class="error-summary" id="error-summary" role="alert" tabindex="-1">'), name
        # The form posts to the summary's anchor, so the browser shows the summary after a failed submit.
        assert '<form method="post" action="#error-summary"' in html, name
    assert not Reservation.objects.exists()


# --- the photo rule --------------------------------------------------------------------------------------------


def test_the_photo_rule_is_worded_the_same_on_every_page_and_e_mail(
    client, slot, mailoutbox, django_capture_on_commit_callbacks
) -> None:
    rule = "ご来庁日の前6か月以内"
    dated = "2026年5月26日（火）以降に撮影した"
    home = main_text(client.get("/").content.decode())
    assert f"{rule}に撮影したもの" in home
    client.post(f"/book/p/jr-pass/{THURSDAY}/", {"slot": slot.pk})
    acknowledgements = main_text(client.get("/book/acknowledgements/").content.decode())
    assert f"{rule}に撮影した、定期券を使う方の写真" in acknowledgements
    assert f"以降 に撮影した写真が必要です（{rule}）" in acknowledgements
    client.post("/book/acknowledgements/", ack_data(slot.procedure))
    client.post("/book/details/", CONTACT)
    confirm = main_text(client.get("/book/confirm/").content.decode())
    assert dated in confirm
    with django_capture_on_commit_callbacks(execute=True):
        done = client.post("/book/confirm/")
    manage = main_text(client.get(done["Location"]).content.decode()).replace(" ", "")
    assert dated in manage
    mail = mailoutbox[0]
    assert dated in mail.body
    for text in (home, acknowledgements, confirm, manage, mail.body):
        assert "来庁日から" not in text
        assert not re.search(r"撮影した写真が必要です（\d+か月以内）", text)


def test_an_english_confirmation_e_mail_uses_english_punctuation(
    client, branch, slot, mailoutbox, django_capture_on_commit_callbacks
) -> None:
    english(client)
    with django_capture_on_commit_callbacks(execute=True):
        book(client, slot, LATIN)
    message = mailoutbox[0]
    number = Reservation.objects.get().display_number
    assert message.subject.endswith(f" ({number})")
    html = message.alternatives[0][0]
    for text in (message.subject, message.body, re.sub(r"<[^>]+>", " ", html)):
        assert not FULL_WIDTH_PUNCTUATION.findall(text), text
    assert "Thu 26 November 2026 9:00–9:30" in message.body
    assert "Minato City Hall (1-1 Minato)" in message.body
