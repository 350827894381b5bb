"""Letter and acknowledgement wording: plain {placeholder} slots only, checked by the model on every path."""

from __future__ import annotations

import io
from datetime import date

import pytest
from django.contrib import admin
from django.core.exceptions import ValidationError
from django.test import RequestFactory
from pypdf import PdfReader

from notices import letters, services
from notices.models import LetterTemplate
from reservations.models import Acknowledgement
from staff import wording
from tests import factories

pytestmark = pytest.mark.django_db

HOSTILE = [
    "{name:>2000000}",  # a format spec that would tie up the worker
    "{name:{code}}",  # nested: would raise on every render
    "{name!r}",
    "{name.__class__}",
    "{name[0]}",
    "{0}",
    "{}",
    "{nmae}",
    "閉じていない { です",
]


@pytest.mark.parametrize("text", HOSTILE)
def test_anything_but_a_plain_known_slot_is_a_problem(text) -> None:
    assert wording.problems(text, {"name", "code"}) != []


def test_plain_slots_and_doubled_braces_are_fine_and_filled() -> None:
    text = "{name}様 {{そのまま}} {code}"
    assert wording.problems(text, {"name", "code"}) == []
    assert wording.fill(text, {"name": "見本 太郎", "code": "ACDE"}) == "見本 太郎様 {そのまま} ACDE"


def test_filling_never_interprets_a_specification_even_in_text_saved_before_the_rules() -> None:
    assert wording.fill("{name:>2000000}|{name!r}|{name.__class__}", {"name": "x"}) == (
        "{name:>2000000}|{name!r}|{name.__class__}"
    )


def _template_data(template: LetterTemplate) -> dict[str, object]:
    fields = ["title", *LetterTemplate.WORDING_FIELDS]
    fields += ["address_top_mm", "address_left_mm", "address_width_mm", "address_height_mm"]
    return {f: getattr(template, f) for f in fields}


@pytest.mark.parametrize("text", ["{name:>2000000}", "{name:{code}}", "{name!s}"])
def test_the_supervisor_page_refuses_a_specification_and_keeps_what_was_typed(supervisor_client, text) -> None:
    template = letters.letter_template()
    before = template.greeting
    response = supervisor_client.post("/staff/notices/wording/", {**_template_data(template), "greeting": text})
    body = response.content.decode()
    assert response.status_code == 200 and "使えない差し込み" in body
    assert text.replace(">", "&gt;") in body  # the field still holds what the supervisor typed
    assert LetterTemplate.objects.get(pk=template.pk).greeting == before


def test_the_admin_form_uses_the_same_rules(rf: RequestFactory, bob) -> None:
    template = letters.letter_template()
    request = rf.get("/admin/")
    request.user = bob
    form_class = admin.site.get_model_admin(LetterTemplate).get_form(request, template)
    form = form_class({**_template_data(template), "message_photo": "{photo_size:{code}}"}, instance=template)
    assert not form.is_valid()
    assert "使えない差し込み" in str(form.errors["message_photo"])


def test_the_service_refuses_bad_wording_and_overlong_text_and_saves_good_wording(bob) -> None:
    template = letters.letter_template()
    template.phone_text = "{office_phone:>99999}"
    with pytest.raises(ValidationError) as raised:
        services.letter_template_save(template=template, user=bob)
    assert "phone_text" in raised.value.message_dict
    template = letters.letter_template()
    template.message_book = "あ" * (LetterTemplate.WORDING_MAX_CHARS + 1)
    with pytest.raises(ValidationError, match="1000文字以内"):
        services.letter_template_save(template=template, user=bob)
    template = letters.letter_template()
    template.message_book = "{name}様、必ず予約してください。"
    services.letter_template_save(template=template, user=bob)
    saved = LetterTemplate.objects.get(pk=template.pk)
    assert saved.message_book.startswith("{name}") and saved.updated_by == bob


def test_wording_saved_before_the_rules_renders_inertly() -> None:
    template = letters.letter_template()
    LetterTemplate.objects.filter(pk=template.pk).update(greeting="{name:>2000000}{name:{code}}{name}")
    context = letters.letter_context(
        template=LetterTemplate.objects.get(pk=template.pk),
        office=None,
        procedure=None,
        name="見本 太郎",
        postal_code="530-0001",
        address="大阪府",
        expires_on=date(2027, 2, 28),
        code="ACDEFG34",
        valid_until=date(2027, 3, 30),
        today=date(2026, 11, 25),
    )
    greeting = context["texts"]["greeting"]
    assert greeting.startswith("{name:&gt;2000000}") and greeting.endswith("見本 太郎")  # HTML, escaped
    assert len(greeting) < 100


def test_the_preview_is_stopped_after_its_time_limit(supervisor_client, settings) -> None:
    settings.NOTICE_PREVIEW_SECONDS = 0.01
    response = supervisor_client.get("/staff/notices/wording/preview.pdf", follow=True)
    assert "時間内に作れませんでした" in response.content.decode()


def test_the_preview_shows_the_wording_with_the_sample_data(supervisor_client, bob, settings) -> None:
    settings.NOTICE_PREVIEW_SECONDS = 600  # a slow machine must not turn this into the time-limit page
    template = letters.letter_template()
    template.message_book = "{name}様、必ず予約してください。"
    services.letter_template_save(template=template, user=bob)
    preview = supervisor_client.get("/staff/notices/wording/preview.pdf")
    assert preview["Content-Type"] == "application/pdf"
    assert "見本 太郎様、必ず予約してください。" in PdfReader(io.BytesIO(preview.content)).pages[0].extract_text()


def test_an_acknowledgement_accepts_only_its_two_slots() -> None:
    factories.ensure_defaults()
    ack = Acknowledgement(procedure=factories.procedure(), text="{photo_months}か月以内、{photo_size}", version=1)
    ack.full_clean()
    assert "縦4cm×横3cm" in ack.render()
    ack.text_en = "Within {photo_months:>99999} months"
    with pytest.raises(ValidationError) as raised:
        ack.full_clean()
    assert "text_en" in raised.value.message_dict
    assert ack.render("en") == "Within {photo_months:>99999} months"
