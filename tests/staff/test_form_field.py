"""`{{ field|form_field }}` and `{{ form|error_summary }}` write in Python what the templates
`includes/field.html` and `includes/error_summary.html` wrote: the markup must stay the same, character for
character (labels, help, aria-describedby, the summary's links), in Japanese and in English."""

# ruff: noqa: E501  (the reference templates keep their lines as they were)
from __future__ import annotations

import pytest
from django.template import engines
from django.utils import translation

from reservations.forms import AcknowledgementForm, ContactForm
from staff.templatetags.madoguchi import error_summary, form_field
from tests import factories
from tests.staff.test_renderers import VALUES, Everything

# The templates as they were, the reference for the markup.
FIELD_TEMPLATE = (
    '{% load i18n madoguchi %}{% if field|is_choice_group %}<fieldset id="{{ field.auto_id }}" class="field radio-group{% if field.errors %} has-error{% endif %}">\n'
    '  <legend>{{ field.label }}<span class="{% if field.field.required %}req{% else %}opt{% endif %}">{% if field.field.required %}{% translate "必須" %}{% else %}{% translate "任意" %}{% endif %}</span></legend>\n'
    '  {% if field.help_text %}<p class="help">{{ field.help_text }}</p>{% endif %}\n'
    '  {% for choice in field %}<div class="radio">{{ choice.tag }}<label for="{{ choice.id_for_label }}">{{ choice.choice_label }}</label></div>{% endfor %}\n'
    '  {% for error in field.errors %}<p class="error" id="{{ field.auto_id }}_error">{{ error }}</p>{% endfor %}\n'
    '</fieldset>{% else %}<div class="field{% if field.errors %} has-error{% endif %}">\n'
    "  {% if field|is_checkbox %}\n"
    '  <div class="checkbox">\n'
    "    {{ field|describe }}\n"
    '    <label for="{{ field.id_for_label }}">{{ field.label }}{% if field.field.required %}<span class="req">{% translate "必須" %}</span>{% endif %}</label>\n'
    "  </div>\n"
    '  {% if field.help_text %}<p class="help" id="{{ field.auto_id }}_help">{{ field.help_text }}</p>{% endif %}\n'
    '  {% for error in field.errors %}<p class="error" id="{{ field.auto_id }}_error">{{ error }}</p>{% endfor %}\n'
    "  {% else %}\n"
    '  <label for="{{ field|error_anchor }}">{{ field.label }}<span class="{% if field.field.required %}req{% else %}opt{% endif %}">{% if field.field.required %}{% translate "必須" %}{% else %}{% translate "任意" %}{% endif %}</span></label>\n'
    '  {% if field.help_text %}<p class="help" id="{{ field.auto_id }}_help">{{ field.help_text }}</p>{% endif %}\n'
    "  {{ field|describe }}\n"
    '  {% for error in field.errors %}<p class="error" id="{{ field.auto_id }}_error">{{ error }}</p>{% endfor %}\n'
    "  {% endif %}\n"
    "</div>{% endif %}\n"
)
SUMMARY_TEMPLATE = (
    "{% load i18n madoguchi %}{% if form.errors %}\n"
    '<div class="error-summary" id="error-summary" role="alert" tabindex="-1">\n'
    '  <h2>{% translate "入力内容を確認してください" %}</h2>\n'
    "  <ul>\n"
    "    {% for error in form.non_field_errors %}<li>{{ error }}</li>{% endfor %}\n"
    '    {% for field in form %}{% for error in field.errors %}<li><a href="#{{ field|error_anchor }}">{{ error|summary_text:field }}</a></li>{% endfor %}{% endfor %}\n'
    "  </ul>\n"
    "</div>\n"
    "{% endif %}\n"
)


def _as_the_templates_did(form) -> tuple[str, str]:
    engine = engines["django"]
    fields = "".join(engine.from_string(FIELD_TEMPLATE).render({"field": field}) for field in form)
    return fields, engine.from_string(SUMMARY_TEMPLATE).render({"form": form})


def _as_now(form) -> tuple[str, str]:
    return "".join(form_field(field) for field in form), error_summary(form)


@pytest.mark.parametrize("language", ["ja", "en"])
@pytest.mark.parametrize("data", VALUES)
def test_every_kind_of_field_is_written_as_the_template_wrote_it(language, data):
    with translation.override(language):
        form = Everything(data or None)
        assert _as_now(form) == _as_the_templates_did(form)


@pytest.mark.django_db
@pytest.mark.parametrize("language", ["ja", "en"])
@pytest.mark.parametrize(
    "data",
    [
        {},
        {"family_name": "<b>山田</b>", "given_name": "", "family_name_kana": "やまだ", "phone": "x", "email": "bad"},
        {"needs": ["wheelchair", "nonsense"], "email": "a@example.jp"},
    ],
)
def test_the_residents_contact_form_is_written_as_before(language, data):
    with translation.override(language):
        form = ContactForm(data or None, latin_reading=language == "en")
        assert _as_now(form) == _as_the_templates_did(form)


@pytest.mark.django_db
@pytest.mark.parametrize("language", ["ja", "en"])
def test_the_acknowledgements_and_their_summary_are_written_as_before(language):
    procedure = factories.procedure()
    acknowledgements = list(procedure.acknowledgements.all())
    with translation.override(language):
        for data in ({}, {"x": "1"}, {f"ack_{acknowledgements[0].pk}": "on"}):
            form = AcknowledgementForm(data or None, acknowledgements=acknowledgements, language=language)
            assert _as_now(form) == _as_the_templates_did(form)


def test_a_form_error_of_its_own_comes_first_in_the_summary():
    form = Everything({"text": "x"})
    form.is_valid()
    form.add_error(None, "全体の<エラー>")
    assert _as_now(form) == _as_the_templates_did(form)
    assert "<li>全体の&lt;エラー&gt;</li>" in error_summary(form)


def test_no_form_gives_a_line_break_alone():
    assert error_summary("") == error_summary(None) == "\n"
