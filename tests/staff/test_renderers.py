"""The form renderer writes `<input>` widgets in Python: the markup must be Django's, character for character."""

from __future__ import annotations

from pathlib import Path

import pytest
from django import forms
from django.forms.renderers import DjangoTemplates
from django.utils.safestring import mark_safe
from django.utils.translation import gettext_lazy

from reservations.forms import AcknowledgementForm, ContactForm, LookupForm
from staff.renderers import FastInputRenderer
from tests import factories


class Everything(forms.Form):
    text = forms.CharField(max_length=5, widget=forms.TextInput(attrs={"class": 'a"b<c>', "data-x": 0}))
    optional = forms.CharField(required=False, help_text="help")
    email = forms.EmailField(widget=forms.EmailInput(attrs={"autocomplete": "email", "hidden": True, "off": False}))
    password = forms.CharField(widget=forms.PasswordInput(render_value=False))
    shown_password = forms.CharField(widget=forms.PasswordInput(render_value=True))
    number = forms.IntegerField(min_value=1, max_value=9)
    day = forms.DateField(widget=forms.DateInput(attrs={"type": "date"}))
    hidden = forms.CharField(widget=forms.HiddenInput)
    tick = forms.BooleanField(required=False)
    url = forms.URLField(required=False, assume_scheme="https")
    lazy = forms.CharField(widget=forms.TextInput(attrs={"placeholder": gettext_lazy("姓")}))
    note = forms.CharField(widget=forms.Textarea)
    choice = forms.ChoiceField(choices=[("a", "A & B"), ("b", "<b>")])
    many = forms.MultipleChoiceField(
        required=False, choices=[("a", "車いす"), ("b", "<筆談>")], widget=forms.CheckboxSelectMultiple
    )
    one = forms.ChoiceField(required=False, choices=[("x", "X & Y"), ("y", "Y")], widget=forms.RadioSelect)


VALUES = [
    {},
    {
        "text": '"<script>&amp;',
        "optional": "",
        "email": "a@example.jp",
        "password": "secret",
        "shown_password": "shown",
        "number": "5",
        "day": "2026-11-26",
        "hidden": "x'y",
        "tick": "on",
        "url": "https://example.jp/?a=1&b=2",
        "lazy": "全角　スペース",
        "note": "line\n<two>",
        "choice": "b",
        "many": ["a", "b"],
        "one": "y",
    },
    {"text": "toolong", "number": "x", "tick": ""},
]


def _both(form_class, data, **kwargs):
    fast, slow = FastInputRenderer(), DjangoTemplates()
    fast_form = form_class(data or None, renderer=fast, **kwargs)
    slow_form = form_class(data or None, renderer=slow, **kwargs)
    fast_form.is_valid(), slow_form.is_valid()
    return fast_form, slow_form


@pytest.mark.parametrize("data", VALUES)
def test_every_widget_renders_as_django_renders_it(data):
    fast_form, slow_form = _both(Everything, data)
    for name in fast_form.fields:
        assert str(fast_form[name]) == str(slow_form[name]), name
        extra = {"aria-describedby": "x_help x_error", "aria-invalid": "true"}
        assert fast_form[name].as_widget(attrs=extra) == slow_form[name].as_widget(attrs=extra), name
        # One choice at a time, as the project's field template draws a group (its own <label> beside each).
        fast_choices = [(c.tag(), c.tag(wrap_label=True)) for c in fast_form[name]]
        assert fast_choices == [(c.tag(), c.tag(wrap_label=True)) for c in slow_form[name]], name
    assert str(fast_form) == str(slow_form)


def test_a_safe_value_is_not_escaped_twice():
    fast = forms.TextInput().render("n", mark_safe("&amp;"), renderer=FastInputRenderer())
    slow = forms.TextInput().render("n", mark_safe("&amp;"), renderer=DjangoTemplates())
    assert fast == slow == '<input type="text" name="n" value="&amp;">'


@pytest.mark.django_db
@pytest.mark.parametrize(
    "data",
    [{}, {"family_name": "山田", "given_name": "", "family_name_kana": "やまだ", "phone": "x", "email": "bad"}],
)
def test_the_resident_forms_render_as_before(data):
    for form_class in (ContactForm, LookupForm):
        fast_form, slow_form = _both(form_class, data)
        for name in fast_form.fields:
            assert str(fast_form[name]) == str(slow_form[name])


@pytest.mark.django_db
def test_the_acknowledgement_checkboxes_render_as_before():
    procedure = factories.procedure()
    acknowledgements = list(procedure.acknowledgements.all())
    assert acknowledgements
    for data in ({}, {f"ack_{acknowledgements[0].pk}": "on"}):
        fast_form, slow_form = _both(AcknowledgementForm, data, acknowledgements=acknowledgements)
        for name in fast_form.fields:
            assert str(fast_form[name]) == str(slow_form[name])


def test_the_project_uses_it(settings):
    from django.forms.renderers import get_default_renderer

    assert settings.FORM_RENDERER == "staff.renderers.FastInputRenderer"
    assert isinstance(get_default_renderer(), FastInputRenderer)


def test_an_overridden_input_template_is_rendered_by_the_engine(tmp_path):
    override = tmp_path / "django" / "forms" / "widgets"
    override.mkdir(parents=True)
    (override / "input.html").write_text('<input class="mine" name="{{ widget.name }}">')

    class Overridden(FastInputRenderer):
        @property
        def engine(self):
            from django.template.backends.django import DjangoTemplates as Backend

            dirs = [tmp_path, Path(forms.__file__).parent / "templates"]
            return Backend({"APP_DIRS": True, "DIRS": dirs, "NAME": "overridden", "OPTIONS": {}})

    assert forms.TextInput().render("n", "v", renderer=Overridden()) == '<input class="mine" name="n">'
