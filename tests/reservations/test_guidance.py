from __future__ import annotations

from datetime import date

import pytest
from django.utils import translation

from reservations.guidance import bring_items
from tests import factories

pytestmark = pytest.mark.django_db


def test_the_photo_comes_first_with_its_earliest_date_when_the_visit_day_is_known() -> None:
    procedure = factories.procedure()
    items = bring_items(procedure, visit_day=date(2026, 12, 3))
    assert items[0].is_photo and items[0].photo_from == date(2026, 6, 3)
    assert items[0].text == "写真（2026年6月3日（水）以降に撮影したもの、縦4cm×横3cm）"
    assert [i.text for i in items[1:]] == ["今お持ちの証明書（更新の場合）", "児童扶養手当証書（該当する方）"]


def test_without_a_visit_day_the_photo_is_counted_back_from_the_visit_so_it_cannot_be_misread() -> None:
    photo = bring_items(factories.procedure())[0]
    assert photo.is_photo and photo.photo_from is None
    assert photo.text == "写真（縦4cm×横3cm、ご来庁日の前6か月以内に撮影したもの）"


def test_the_list_follows_the_supervisors_checklist_and_the_kinds_photo_rule() -> None:
    procedure = factories.procedure()
    procedure.what_to_bring = "本人確認書類\n\n  印鑑  \n"
    procedure.save()
    kind = procedure.certificate_kind
    kind.photo_size = "縦3cm×横2.5cm"
    kind.save()
    assert [str(i) for i in bring_items(procedure)] == [
        "写真（縦3cm×横2.5cm、ご来庁日の前6か月以内に撮影したもの）",
        "本人確認書類",
        "印鑑",
    ]
    kind.photo_required = False
    kind.save()
    assert [str(i) for i in bring_items(procedure)] == ["本人確認書類", "印鑑"]


def test_the_photo_item_is_in_english_for_an_english_page() -> None:
    with translation.override("en"):
        items = bring_items(factories.procedure(), visit_day=date(2026, 12, 3))
        general = bring_items(factories.procedure())
    assert items[0].text == "A photo taken on or after Wed 3 June 2026 (4 cm high × 3 cm wide)"
    assert general[0].text == "A photo (4 cm high × 3 cm wide) taken within 6 months before the day of your visit"


def test_an_english_page_lists_the_english_checklist_and_the_japanese_where_there_is_none() -> None:
    procedure = factories.procedure()
    procedure.what_to_bring = "今お持ちの証明書\n印鑑"
    procedure.what_to_bring_en = ""
    procedure.save()
    assert [str(i) for i in bring_items(procedure, language="en")][1:] == ["今お持ちの証明書", "印鑑"]
    procedure.what_to_bring_en = "Your current certificate\nYour personal seal (inkan)"
    procedure.save()
    english = [str(i) for i in bring_items(procedure, language="en")]
    assert english[1:] == ["Your current certificate", "Your personal seal (inkan)"]
    assert [str(i) for i in bring_items(procedure, language="ja")][1:] == ["今お持ちの証明書", "印鑑"]
