"""Statements in the first shipped wording move to the new one with a new version; an office's own wording stays."""

from importlib import import_module

import pytest
from django.apps import apps

from reservations.models import Acknowledgement
from tests import factories

pytestmark = pytest.mark.django_db

reword = import_module("reservations.migrations.0015_acknowledgement_wording")


def test_the_first_wording_is_replaced_and_its_version_raised() -> None:
    procedure = factories.procedure()
    photo = procedure.acknowledgements.get(is_photo_rule=True)
    Acknowledgement.objects.filter(pk=photo.pk).update(
        text=reword.FIRST_PHOTO_RULE, text_en=reword.FIRST_PHOTO_RULE_EN, version=1
    )
    own = Acknowledgement.objects.create(procedure=procedure, text="窓口で決めた文言です。", version=3)
    reword.reword(apps, None)
    photo.refresh_from_db()
    own.refresh_from_db()
    assert photo.version == 2
    assert photo.text.startswith("ご来庁日の前{photo_months}か月以内に撮影した")
    assert "了承します" in photo.text and "before the day of my visit" in photo.text_en
    assert (own.text, own.version) == ("窓口で決めた文言です。", 3)


def test_a_new_install_ships_the_new_wording() -> None:
    texts = [a.render("ja") for a in factories.procedure().acknowledgements.order_by("order")]
    assert texts[0].startswith("ご来庁日の前6か月以内に撮影した") and "来庁日から" not in texts[0]
    assert texts[1] == "定期券を使う方ご本人が来庁します（写真とご本人を確認するため）。"
