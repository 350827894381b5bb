"""The form renderer: Django's templates, with the `<input>` widgets written out in Python.

Django renders every widget through the template engine: an `<input>` costs two template includes and a loop
over its attributes, about a tenth of a millisecond each time, and a form of seven fields costs more than the rest
of its page. `<input>` has one fixed shape (Django's `input.html` and `attrs.html`), so this renderer writes the
same markup directly, character for character. Any widget whose template is not Django's own input template, or
a project that overrides those templates, goes through the template engine as before.
"""

from __future__ import annotations

import html
import operator
from pathlib import Path
from typing import Any

from django import forms
from django.forms.renderers import DjangoTemplates
from django.template import TemplateDoesNotExist
from django.utils.functional import Promise

# Django's widget templates that are nothing but `{% include "django/forms/widgets/input.html" %}`.
INPUT_TEMPLATES = frozenset(
    f"django/forms/widgets/{name}.html"
    for name in (
        "input",
        "text",
        "email",
        "password",
        "hidden",
        "number",
        "url",
        "search",
        "tel",
        "color",
        "date",
        "datetime",
        "time",
        "checkbox",
    )
)
# One choice of a group of checkboxes or radio buttons, drawn by the page's own <label> (wrap_label off): Django's
# option templates then come down to input.html as well.
OPTION_TEMPLATES = frozenset(f"django/forms/widgets/{name}_option.html" for name in ("checkbox", "radio"))
_DJANGO_TEMPLATES = (Path(forms.__file__).parent / "templates").resolve()


def escape(value: Any) -> str:
    """Django's `conditional_escape`, the same text, without the check for lazy arguments that costs `escape` a
    microsecond on every call (a form page escapes a few hundred values)."""
    if type(value) is str:
        return html.escape(value)
    if isinstance(value, Promise):
        value = str(value)
    if hasattr(value, "__html__"):
        return value.__html__()
    return html.escape(str(value))


def render_input(widget: dict[str, Any]) -> str:
    """Django's input.html for a widget context, without the template engine."""
    parts = [f'<input type="{escape(widget["type"])}" name="{escape(widget["name"])}"']
    value = widget["value"]
    if operator.ne(value, None):  # the template's `widget.value != None`
        parts.append(f' value="{escape(value)}"')
    for name, attr in widget["attrs"].items():
        if attr is False:
            continue
        parts.append(f" {escape(name)}")
        if attr is not True:
            parts.append(f'="{escape(attr)}"')
    parts.append(">")
    return "".join(parts)


class FastInputRenderer(DjangoTemplates):
    def __init__(self) -> None:
        super().__init__()
        self._django_own: dict[str, bool] = {}

    def _is_django_input(self, template_name: str) -> bool:
        """True when the template and the input/attrs templates it includes are Django's own (not overridden)."""
        known = self._django_own.get(template_name)
        if known is None:
            names = {template_name, "django/forms/widgets/input.html", "django/forms/widgets/attrs.html"}
            if template_name in OPTION_TEMPLATES:
                names.add("django/forms/widgets/input_option.html")
            try:
                known = template_name in INPUT_TEMPLATES | OPTION_TEMPLATES and all(
                    Path(self.get_template(name).origin.name).resolve().is_relative_to(_DJANGO_TEMPLATES)
                    for name in names
                )
            except TemplateDoesNotExist:
                known = False
            self._django_own[template_name] = known
        return known

    def render(self, template_name: str, context: dict[str, Any], request: Any = None) -> str:
        widget = context.get("widget")
        if widget is not None and self._is_django_input(template_name):
            if template_name not in OPTION_TEMPLATES:
                return render_input(widget)
            if not widget.get("wrap_label"):
                return render_input(widget)
        return super().render(template_name, context, request=request)
