import pytest
from django.template import Context, Engine, engines
from django.templatetags.i18n import TranslateNode
from django.test import override_settings
from django.utils import translation

from config import i18n_tags

SOURCES = [
    '{% translate "本文へ移動" %}|{% translate "窓口予約" %}',
    "{% translate '電話' %} {% trans \"予約済み\" %}",
    '{% translate "100% & <b>" %}|{% translate "50%% off" %}',
    '{% translate "本文へ移動" as skip %}[{{ skip }}]',
    '{% translate word %}|{% translate word|upper %}|{% translate "本文へ移動"|lower %}',
    '{% translate "May" context "month name" %}|{% translate "本文へ移動" noop %}',
    "{% autoescape off %}{% translate \"<i>x</i>\" %}{% endautoescape %}{% translate '<i>x</i>' %}",
    "{% get_current_language as LANG %}{{ LANG }}{% blocktranslate %}窓口予約{% endblocktranslate %}",
]


def _render(engine: Engine, source: str) -> str:
    return engine.from_string("{% load i18n %}" + source).render(Context({"word": "電話"}))


@pytest.mark.parametrize("source", SOURCES)
def test_the_project_library_renders_as_djangos_in_each_language_and_again(source: str) -> None:
    django_engine = Engine(libraries={"i18n": "django.templatetags.i18n"})
    project = engines["django"].engine
    # One template, rendered in turn in each language.
    template = project.from_string("{% load translations %}" + source)
    for language in ("ja", "en", "ja", "en"):
        with translation.override(language):
            assert template.render(Context({"word": "電話"})) == _render(django_engine, source)


def test_english_pages_are_english_and_japanese_pages_japanese() -> None:
    template = engines["django"].engine.from_string('{% load translations %}{% translate "本文へ移動" %}')
    with translation.override("en"):
        assert template.render(Context()) == "Skip to content"
    with translation.override("ja"):
        assert template.render(Context()) == "本文へ移動"


def test_only_constant_messages_with_nothing_else_are_kept() -> None:
    engine = engines["django"].engine
    nodes = {
        source: type(engine.from_string("{% load translations %}" + source).nodelist[-1])
        for source in (
            '{% translate "電話" %}',
            "{% translate word %}",
            '{% translate "電話"|lower %}',
            '{% translate "電話" as x %}',
            '{% translate "電話" noop %}',
            '{% translate "電話" context "c" %}',
        )
    }
    assert nodes.pop('{% translate "電話" %}') is i18n_tags.ConstantTranslateNode
    assert set(nodes.values()) == {TranslateNode}


def test_what_a_tag_keeps_is_forgotten_when_the_languages_change() -> None:
    template = engines["django"].engine.from_string('{% load translations %}{% translate "本文へ移動" %}')
    node = template.nodelist[-1]
    with translation.override("en"):
        template.render(Context())
        before = set(node.kept)
        with override_settings(LOCALE_PATHS=[]):
            template.render(Context())
        assert set(node.kept) - before, "a render after the change worked the text out again"


def test_a_changed_catalogue_under_the_autoreloader_is_read_again(tmp_path) -> None:
    from django.utils.autoreload import file_changed

    before = i18n_tags._generation
    i18n_tags._mo_changed(sender=None, file_path=tmp_path / "app.py")
    assert i18n_tags._generation == before
    file_changed.send(sender=None, file_path=tmp_path / "locale" / "en" / "LC_MESSAGES" / "django.mo")
    assert i18n_tags._generation == before + 1


def test_djangos_i18n_library_keeps_its_name() -> None:
    from django.core.checks.templates import check_templates

    assert [message.id for message in check_templates(None)] == []
    assert engines["django"].engine.libraries["i18n"] == "django.templatetags.i18n"
