"""Error messages in the manner of the Digital Agency design system, for every form of the product.

Django's own messages say 「このフィールドは必須です。」 and 「有効なメールアドレスを入力してください。」: they do not
name the field, and a format error does not say what is expected. Every form here derives from `Form` or
`ModelForm` below (or mixes in `ClearMessages`), which replaces each message Django would give by one that names
the field and says what to do: 「電話番号を入力してください。」, 「交付日は、年-月-日の形で入力してください
（例：2026-12-03）。」. A message a form sets itself is kept. `tests/staff/test_form_messages.py` finds every form
class of the project and fails on one that does not use them.

The messages are made when the form is cleaned, so fields a form adds in its own `__init__` get them too, in the
language of the request.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.core import validators
from django.forms.utils import pretty_name
from django.utils import translation
from django.utils.translation import gettext as _

# Widgets where the resident chooses rather than types.
CHOOSING_WIDGETS = (forms.Select, forms.RadioSelect, forms.CheckboxSelectMultiple, forms.SelectMultiple)


def _default_messages(field: forms.Field) -> dict[str, Any]:
    """The messages Django gives this field class (what Field.__init__ collects from the class hierarchy)."""
    # Read only (apply_clear_messages compares with it): one dictionary per field class.
    field_class = type(field)
    messages = _DEFAULTS.get(field_class)
    if messages is None:
        messages = {}
        for cls in reversed(field_class.__mro__):
            messages.update(getattr(cls, "default_error_messages", {}))
        _DEFAULTS[field_class] = messages
    return messages


_DEFAULTS: dict[type, dict[str, Any]] = {}


def _format_example(field: type[forms.Field]) -> str | None:
    """What a well-formed value looks like, for the fields whose format can be wrong."""
    if issubclass(field, forms.EmailField):
        return _("{label}は、例のような形で入力してください（例：madoguchi@example.jp）。")
    if issubclass(field, forms.URLField):
        return _("{label}は、例のような形で入力してください（例：https://www.example.jp/）。")
    if issubclass(field, forms.DateTimeField):
        return _("{label}は、年-月-日 時:分の形で入力してください（例：2026-12-03 9:30）。")
    if issubclass(field, forms.DateField):
        return _("{label}は、年-月-日の形で入力してください（例：2026-12-03）。")
    if issubclass(field, forms.TimeField):
        return _("{label}は、時:分の形で入力してください（例：9:30）。")
    if issubclass(field, forms.IntegerField):
        return _("{label}は、数字で入力してください（例：3）。")
    if issubclass(field, (forms.DecimalField, forms.FloatField)):
        return _("{label}は、数字で入力してください（例：12.5）。")
    return None


def _label_in_sentence(label: str) -> str:
    """The label as it reads inside a sentence: English labels lose their capital (Enter phone number); a label
    with a % would be read as a placeholder by ValidationError."""
    if translation.get_language() == "en" and label[:1].isupper() and not label[1:2].isupper():
        label = label[0].lower() + label[1:]
    return label.replace("%", "%%")


def clear_messages(field: forms.Field, label: str) -> dict[str, str]:
    """The design system's message for each error code of this field."""
    key = (type(field), type(field.widget), label, translation.get_language())
    made = _MADE.get(key)
    if made is None:
        if len(_MADE) >= 4096:  # labels are the project's own; this only bounds the unexpected
            _MADE.clear()
        made = _MADE[key] = _clear_messages(*key)
    return dict(made)


_MADE: dict[tuple[Any, Any, str, str | None], tuple[tuple[str, str], ...]] = {}


def _clear_messages(
    field_class: Any, widget_class: Any, label: str, language: str | None
) -> tuple[tuple[str, str], ...]:
    """The messages depend only on the field's and widget's classes, the label and the language: made once for
    each, not on every form of every request (a page's form has a dozen fields, each a dozen messages).
    `field_class` is a forms.Field subclass and `widget_class` a forms.Widget subclass."""
    safe_label = _label_in_sentence(label)
    field = field_class
    if issubclass(field, forms.BooleanField):
        required = _("{label}にチェックを入れてください。")
    elif issubclass(field, (forms.ChoiceField, forms.FileField)) or issubclass(widget_class, CHOOSING_WIDGETS):
        required = _("{label}を選んでください。")
    else:
        required = _("{label}を入力してください。")
    messages = {
        "required": required,
        "invalid_choice": _("{label}は、表示されている選択肢から選んでください。"),
        "invalid_list": _("{label}は、表示されている選択肢から選んでください。"),
        "missing": _("{label}のファイルを選んでください。"),
        "empty": _("{label}に選んだファイルは空です。中身のあるファイルを選んでください。"),
        "contradiction": _("{label}は、ファイルを選ぶか「削除」にチェックを入れるかの、どちらかにしてください。"),
        "invalid_image": _("{label}は、画像のファイルを選んでください。"),
        "incomplete": _("{label}をすべて入力してください。"),
    }
    example = _format_example(field)
    if example:
        messages["invalid"] = example
    elif issubclass(field, forms.FileField):
        messages["invalid"] = _("{label}のファイルを選び直してください。")
    return tuple((code, text.format(label=safe_label)) for code, text in messages.items())


# Django's length and range validators, whose messages do not name the field.
_CLEARED_VALIDATORS = (
    validators.MaxLengthValidator,
    validators.MinLengthValidator,
    validators.MaxValueValidator,
    validators.MinValueValidator,
)


def _clear_validator(validator: Any, label: str) -> Any:
    """A copy of Django's length and range validators with a message that names the field (the validator objects
    are shared between form instances, so they are replaced, never changed). Any other validator, or one with a
    message of its own, is returned as it is."""
    cls = type(validator)
    if cls not in _CLEARED_VALIDATORS or validator.message is not cls.message:
        return validator
    # Validator objects do not change once made: one per class, limit, label and language, not per form.
    key = (cls, validator.limit_value, label, translation.get_language())
    cleared = _CLEARED.get(key)
    if cleared is None:
        if len(_CLEARED) >= 4096:  # as _MADE
            _CLEARED.clear()
        cleared = _CLEARED[key] = _cleared_validator(cls, validator.limit_value, label)
    return cleared


_CLEARED: dict[tuple[Any, Any, str, str | None], Any] = {}


def _cleared_validator(cls: Any, limit_value: Any, label: str) -> Any:
    safe_label = _label_in_sentence(label)
    if cls is validators.MaxLengthValidator:
        text = _("{label}は%(limit_value)d文字以内で入力してください（いま%(show_value)d文字）。")
    elif cls is validators.MinLengthValidator:
        text = _("{label}は%(limit_value)d文字以上で入力してください（いま%(show_value)d文字）。")
    elif cls is validators.MaxValueValidator:
        text = _("{label}は%(limit_value)s以下にしてください。")
    else:
        text = _("{label}は%(limit_value)s以上にしてください。")
    return cls(limit_value, message=text.format(label=safe_label))


def apply_clear_messages(form: forms.BaseForm) -> None:
    for name, field in form.fields.items():
        if getattr(field, "_clear_messages", False):
            continue
        label = str(field.label) if field.label else pretty_name(name)
        defaults = _default_messages(field)
        for code, text in clear_messages(field, label).items():
            current = field.error_messages.get(code)
            # "invalid" may come from a validator (an e-mail address): the field's message for the code wins.
            if current is defaults.get(code) and (current is not None or code == "invalid"):
                field.error_messages[code] = text
        field.validators = [_clear_validator(v, label) for v in field.validators]
        field._clear_messages = True  # type: ignore[attr-defined]


class ClearMessages:
    """Mix into a form class (before Django's) to give it the design system's messages."""

    def full_clean(self) -> None:
        # An unbound form is never validated: its messages are not needed (a page's form is shown far more often
        # than it is sent).
        if self.is_bound:  # type: ignore[attr-defined]
            apply_clear_messages(self)  # type: ignore[arg-type]
        super().full_clean()  # type: ignore[misc]


class Form(ClearMessages, forms.Form):
    pass


class ModelForm(ClearMessages, forms.ModelForm):
    pass
