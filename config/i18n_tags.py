"""Django's `i18n` template library, with `{% translate "a constant" %}` translated once per language.

The project's pages hold twenty or so constant messages each (`{% translate "本文へ移動" %}`). Django's tag
makes a lazy string for each of them on every render and translates it again (about 6 µs each), though the
answer for a constant message depends only on the active language. Here such a tag keeps its text per language;
a message with a variable, a filter, a context or `as`, and `noop`, are Django's tag unchanged, as are all the
library's other tags and filters. TEMPLATES names this module as the `translations` library: the project's
templates `{% load translations %}` where Django's would `{% load i18n %}`.

What a tag keeps is forgotten when the translations may have changed: a changed .mo file under the development
server's autoreloader, or a test changing the languages or the locale paths.
"""

from __future__ import annotations

from typing import Any

from django import template
from django.core.signals import setting_changed
from django.dispatch import receiver
from django.template.base import Parser, Token, Variable
from django.templatetags import i18n as django_i18n
from django.utils import autoreload, translation

register = template.Library()
register.tags.update(django_i18n.register.tags)
register.filters.update(django_i18n.register.filters)

# Part of every kept text's key: raised whenever the translations may have changed.
_generation = 0


def _forget() -> None:
    global _generation
    _generation += 1


@receiver(autoreload.file_changed, dispatch_uid="madoguchi-i18n-tags-mo")
def _mo_changed(sender: Any, file_path: Any, **kwargs: Any) -> None:
    if str(file_path).endswith(".mo"):
        _forget()


@receiver(setting_changed, dispatch_uid="madoguchi-i18n-tags-settings")
def _languages_changed(setting: str, **kwargs: Any) -> None:
    if setting in ("LANGUAGES", "LANGUAGE_CODE", "LOCALE_PATHS", "USE_I18N"):
        _forget()


class ConstantTranslateNode(django_i18n.TranslateNode):
    """`{% translate "text" %}` with nothing else: Django's rendering, kept per active language."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.kept: dict[tuple[str | None, int], str] = {}

    def render(self, context: template.Context) -> str:
        key = (translation.get_language(), _generation)
        text = self.kept.get(key)
        if text is None:
            text = self.kept[key] = super().render(context)
        return text


@register.tag("translate")
@register.tag("trans")
def do_translate(parser: Parser, token: Token) -> template.Node:
    node = django_i18n.do_translate(parser, token)
    message = node.filter_expression
    constant = (
        isinstance(message.var, Variable)
        and isinstance(message.var.literal, str)
        and not message.filters
        and not node.noop
        and node.asvar is None
        and node.message_context is None
    )
    if not constant:
        return node
    return ConstantTranslateNode(message, node.noop)
