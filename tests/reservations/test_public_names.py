"""What a resident or a household member sees outside the booking pages names the certificate by its short name
(CertificateKind.short_name) and never the office's department."""

from __future__ import annotations

from datetime import date, time

import pytest
from django.core import mail

from reservations.models import Office, Reservation
from tests import factories
from tests.reservations.helpers import book

pytestmark = pytest.mark.django_db

SHORT = "定期券の証明書（試験）"


@pytest.fixture
def named(frozen):
    slot = factories.slot(date(2026, 11, 26), time(9, 0), places=2)
    kind = slot.procedure.certificate_kind
    kind.short_name = SHORT
    kind.save()
    Office.objects.update(department="生活支援課")
    return slot


@pytest.mark.parametrize("language", ["ja", "en"])
def test_e_mails_name_the_short_name_and_not_the_department(
    client, named, language, django_capture_on_commit_callbacks
) -> None:
    if language == "en":
        client.get("/language/en/")
    with django_capture_on_commit_callbacks(execute=True):
        book(client, named)
    assert Reservation.objects.get().language == language
    message = mail.outbox[0]
    text = message.subject + message.body + message.alternatives[0][0]
    assert SHORT in message.body and SHORT in message.alternatives[0][0]
    assert "生活支援課" not in text


def test_the_letter_s_sender_line_uses_the_short_name(named) -> None:
    from notices import letters

    context = letters.letter_context(
        template=letters.letter_template(),
        office=Office.objects.first(),
        procedure=named.procedure,
        name="見本 太郎",
        postal_code="530-0001",
        address="大阪府",
        expires_on=date(2027, 2, 28),
        code="ACDEFG34",
        valid_until=date(2027, 3, 30),
        today=date(2026, 11, 25),
    )
    assert context["sender_unit"] == f"{SHORT} 担当"
    html = letters.render_to_string("notices/letter_page.html", context)
    head = html.split('<div class="body">')[0]
    assert SHORT in head and "生活支援課" not in head


def test_the_calendar_file_names_the_short_name_without_department_or_manage_link(client, named) -> None:
    book(client, named)
    reservation = Reservation.objects.get()
    body = client.get(f"/reservation/{reservation.token}/calendar.ics").content.decode()
    unfolded = body.replace("\r\n ", "")
    assert SHORT in unfolded and reservation.display_number in unfolded
    assert "生活支援課" not in unfolded
    assert reservation.token not in unfolded
