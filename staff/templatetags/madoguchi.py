"""The project's template filters ({% load madoguchi %}): accessible form fields and dates as residents read them."""

from datetime import date

from django import forms, template
from django.forms.boundfield import BoundField
from django.utils import translation
from django.utils.safestring import SafeString

register = template.Library()


@register.filter
def is_checkbox(field: BoundField) -> bool:
    return isinstance(field.field.widget, forms.CheckboxInput)


@register.filter
def describe(field: BoundField) -> SafeString:
    """The widget with aria-describedby pointing at its help text and error, and aria-invalid on error."""
    ids = []
    if field.help_text:
        ids.append(f"{field.auto_id}_help")
    if field.errors:
        ids.append(f"{field.auto_id}_error")
    attrs: dict[str, str | bool] = {}
    if ids:
        attrs["aria-describedby"] = " ".join(ids)
    if field.errors:
        attrs["aria-invalid"] = "true"
    return field.as_widget(attrs=attrs)


@register.filter
def jdate(value: date | None) -> str:
    """A calendar date as residents read it: 2026年11月26日（木）, or Thu 26 November 2026 in English."""
    if not value:
        return ""
    if translation.get_language() == "en":
        return value.strftime("%a ") + f"{value.day} " + value.strftime("%B %Y")
    weekday = "月火水木金土日"[value.weekday()]
    return f"{value.year}年{value.month}月{value.day}日（{weekday}）"
