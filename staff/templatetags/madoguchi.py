"""The project's template filters ({% load madoguchi %}): accessible form fields and dates as residents read them."""

from datetime import date, datetime, time
from typing import Any

from django import forms, template
from django.forms.boundfield import BoundField
from django.utils import timezone, translation
from django.utils.safestring import SafeString

from staff.names import staff_name

register = template.Library()


@register.filter(name="staff_name")
def staff_name_filter(user: Any) -> str:
    """A staff member's name, family name first."""
    return staff_name(user)


@register.filter
def is_checkbox(field: BoundField) -> bool:
    return isinstance(field.field.widget, forms.CheckboxInput)


@register.filter
def is_choice_group(field: BoundField) -> bool:
    """Radio buttons or a group of checkboxes: one field of several inputs, shown as a fieldset with a legend."""
    return isinstance(field.field.widget, (forms.RadioSelect, forms.CheckboxSelectMultiple))


@register.filter
def error_anchor(field: BoundField) -> str:
    """The id the error summary links to: the field's input, or the first of its inputs (radio buttons, a group
    of checkboxes, a date in several parts)."""
    return field.id_for_label or f"{field.auto_id}_0"


@register.filter
def summary_text(error: str, field: BoundField) -> str:
    """An error as the summary at the top of the form lists it: the message alone when it names the field
    (「電話番号を入力してください。」), else prefixed with the field's label. A field whose label is long (a
    statement to tick) names itself in the summary by its `summary_label`."""
    label = str(getattr(field.field, "summary_label", field.label))
    if label in str(error):
        return str(error)
    return f"{label}: {error}" if translation.get_language() == "en" else f"{label}：{error}"


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


@register.filter
def jmonth(value: date | None) -> str:
    """A month as residents read it: 2027年1月, or January 2027 in English."""
    if not value:
        return ""
    if translation.get_language() == "en":
        return value.strftime("%B %Y")
    return f"{value.year}年{value.month}月"


@register.filter
def jdatetime(value: datetime | None) -> str:
    """An instant as residents read it, in Tokyo time: 2026年12月2日（水）17:00, or Wed 2 December 2026 17:00."""
    if not value:
        return ""
    local = timezone.localtime(value)
    return f"{jdate(local.date())} {local.hour}:{local.minute:02d}"


@register.filter
def clock(value: time | None) -> str:
    """A time of day without the leading zero, as Japanese prose writes it: 9:00, not 09:00."""
    return f"{value.hour}:{value.minute:02d}" if value else ""


@register.filter
def in_page_language(office: Any) -> dict[str, str]:
    """An office's name, address and hours in the page's language (English where the office has it)."""
    return office.in_language(translation.get_language() or "ja") if office else {}
