"""The project's template filters ({% load madoguchi %}): accessible form fields and dates as residents read them."""

from datetime import date, datetime, time
from typing import Any, cast

from django import forms, template
from django.forms.boundfield import BoundField
from django.utils import timezone, translation
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _

from staff.names import staff_name
from staff.renderers import escape

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
    return _described_widget(field, field.auto_id, field.help_text, field.errors)


def _described_widget(field: BoundField, auto_id: str, help_text: Any, errors: Any) -> SafeString:
    ids = []
    if help_text:
        ids.append(f"{auto_id}_help")
    if errors:
        ids.append(f"{auto_id}_error")
    attrs: dict[str, str | bool] = {}
    if ids:
        attrs["aria-describedby"] = " ".join(ids)
    if errors:
        attrs["aria-invalid"] = "true"
    return field.as_widget(attrs=attrs)


@register.filter
def form_field(field: BoundField) -> SafeString:
    """A form field as every form of the product shows it: the label with 必須 or 任意, the help text, the widget
    described by the help and the error (`describe`), the errors; radio buttons and a group of checkboxes as a
    fieldset with a legend, a checkbox before its label. `{{ field|form_field }}` ends with a line break.

    Written here rather than by the template engine: a form of eight fields took the engine longer than the rest
    of its page."""
    errors = cast(list[str], field.errors)  # an ErrorList yields its messages
    auto_id = escape(field.auto_id)
    label = escape(field.label)
    help_text = "" if field.help_text is None else escape(field.help_text)
    has_error = " has-error" if errors else ""
    required = field.field.required
    error_lines = "".join(f'<p class="error" id="{auto_id}_error">{escape(e)}</p>' for e in errors)
    if is_choice_group(field):
        choices = "".join(
            f'<div class="radio">{choice.tag()}<label for="{escape(choice.id_for_label)}">'
            f"{escape(choice.choice_label)}</label></div>"
            for choice in field
        )
        help_line = f'<p class="help">{help_text}</p>' if help_text else ""
        return mark_safe(
            f'<fieldset id="{auto_id}" class="field radio-group{has_error}">\n'
            f"  <legend>{label}{_required_mark(required)}</legend>\n"
            f"  {help_line}\n"
            f"  {choices}\n"
            f"  {error_lines}\n"
            "</fieldset>\n"
        )
    help_line = f'<p class="help" id="{auto_id}_help">{help_text}</p>' if help_text else ""
    widget = _described_widget(field, field.auto_id, help_text, errors)
    if is_checkbox(field):
        mark = _required_mark(required) if required else ""
        return mark_safe(
            f'<div class="field{has_error}">\n'
            "  \n"
            '  <div class="checkbox">\n'
            f"    {widget}\n"
            f'    <label for="{escape(field.id_for_label)}">{label}{mark}</label>\n'
            "  </div>\n"
            f"  {help_line}\n"
            f"  {error_lines}\n"
            "  \n"
            "</div>\n"
        )
    return mark_safe(
        f'<div class="field{has_error}">\n'
        "  \n"
        f'  <label for="{escape(error_anchor(field))}">{label}{_required_mark(required)}</label>\n'
        f"  {help_line}\n"
        f"  {widget}\n"
        f"  {error_lines}\n"
        "  \n"
        "</div>\n"
    )


def _required_mark(required: bool) -> str:
    if required:
        return f'<span class="req">{escape(_("必須"))}</span>'
    return f'<span class="opt">{escape(_("任意"))}</span>'


@register.filter
def error_summary(form: Any) -> SafeString:
    """The summary at the top of a form that did not pass: the form's own errors, then each field's as a link to
    the field. A line break alone for a form without errors (or no form at all)."""
    if not form or not form.errors:
        return mark_safe("\n")
    heading = escape(_("入力内容を確認してください"))
    form_errors = "".join(f"<li>{escape(e)}</li>" for e in form.non_field_errors())
    field_errors = "".join(
        f'<li><a href="#{escape(error_anchor(field))}">{escape(summary_text(e, field))}</a></li>'
        for field in form
        for e in field.errors
    )
    return mark_safe(
        "\n"
        '<div class="error-summary" id="error-summary" role="alert" tabindex="-1">\n'
        f"  <h2>{heading}</h2>\n"
        "  <ul>\n"
        f"    {form_errors}\n"
        f"    {field_errors}\n"
        "  </ul>\n"
        "</div>\n"
        "\n"
    )


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
