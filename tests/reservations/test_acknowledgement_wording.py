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


def test_the_statements_ticked_are_filled_in_as_the_booking_records_them(client, frozen) -> None:
    """The pages read the certificate kind's photo rule from the database with the statements, as the booking
    does: a change made in another process (which empties no copy here) shows on the next page."""
    from datetime import date, time

    from certificates.models import CertificateKind
    from reservations import selectors
    from tests.reservations.helpers import CONTACT, ack_data

    slot = factories.slot(date(2026, 11, 26), time(9, 0), places=2)
    factories.staffed(2)
    procedure = slot.procedure
    client.get(f"/book/p/{procedure.slug}/")
    client.post(f"/book/p/{procedure.slug}/{slot.day}/", {"slot": slot.pk})
    statement = "ご来庁日の前{}か月以内に撮影した"
    assert statement.format(6) in client.get("/book/acknowledgements/").content.decode()
    CertificateKind.objects.filter(pk=procedure.certificate_kind_id).update(photo_max_age_months=3)
    page = client.get("/book/acknowledgements/").content.decode()
    assert statement.format(3) in page and statement.format(6) not in page
    client.post("/book/acknowledgements/", ack_data(procedure))
    client.post("/book/details/", CONTACT)
    assert statement.format(3) in client.get("/book/confirm/").content.decode()
    client.post("/book/confirm/")
    from reservations.models import Reservation

    stored = Reservation.objects.get().acknowledgements.get(acknowledgement__is_photo_rule=True)
    assert statement.format(3) in stored.text
    # Without a photo, the photo rule is not among the statements.
    CertificateKind.objects.filter(pk=procedure.certificate_kind_id).update(photo_required=False)
    assert not [a for a in selectors.acknowledgements_to_agree(procedure) if a.is_photo_rule]
