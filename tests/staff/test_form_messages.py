"""Every form speaks as the Digital Agency design system asks: the message names the field and says what to do."""

from __future__ import annotations

import importlib
import pkgutil
import re
from pathlib import Path

import pytest
from django import forms
from django.utils import translation

from certificates.forms import CertificateIssueForm, ResidentForm
from notices.feedback_forms import ComplaintForm
from reservations.forms import ContactForm, WalkInForm
from staff.form_messages import ClearMessages
from staff.otp import TokenForm

ROOT = Path(__file__).resolve().parents[2]
APPS = ("staff", "certificates", "reservations", "notices", "config")


def project_form_classes() -> list[type]:
    for app in APPS:
        package = importlib.import_module(app)
        for info in pkgutil.walk_packages(package.__path__, f"{app}."):
            if ".migrations" in info.name or ".management" in info.name:
                continue
            importlib.import_module(info.name)
    found, todo = [], [forms.BaseForm]
    while todo:
        cls = todo.pop()
        todo.extend(cls.__subclasses__())
        if cls.__module__.split(".")[0] in APPS and cls.__name__ not in {"Form", "ModelForm"}:
            found.append(cls)
    return found


def test_every_form_of_the_product_gives_the_design_systems_messages() -> None:
    classes = project_form_classes()
    assert len(classes) > 20
    plain = [f"{c.__module__}.{c.__name__}" for c in classes if not issubclass(c, ClearMessages)]
    assert plain == [], "derive these from staff.form_messages.Form / ModelForm (or mix in ClearMessages)"


@pytest.mark.django_db
def test_an_empty_required_field_is_named_in_its_message() -> None:
    form = ContactForm({})
    assert not form.is_valid()
    assert form.errors["phone"] == ["電話番号を入力してください。"]
    assert form.errors["family_name"] == ["姓を入力してください。"]
    assert "このフィールドは必須です。" not in str(form.errors)


@pytest.mark.django_db
def test_a_choice_asks_to_choose_and_a_bad_choice_says_where_to_choose_from() -> None:
    form = WalkInForm({"procedure": "999999"})
    assert form.errors["procedure"] == ["手続きは、表示されている選択肢から選んでください。"]
    form = WalkInForm({})
    assert form.errors["procedure"] == ["手続きを選んでください。"]


@pytest.mark.django_db
def test_a_format_error_says_what_is_expected_with_an_example() -> None:
    form = CertificateIssueForm({"issued_on": "12月3日"})
    assert form.errors["issued_on"] == ["交付日は、年-月-日の形で入力してください（例：2026-12-03）。"]
    form = ContactForm({"email": "yoko@"})
    assert form.errors["email"] == ["メールアドレスは、例のような形で入力してください（例：madoguchi@example.jp）。"]


@pytest.mark.django_db
def test_lengths_and_ranges_name_the_field_and_the_limit() -> None:
    form = ContactForm({"family_name": "田" * 51})
    assert form.errors["family_name"] == ["姓は50文字以内で入力してください（いま51文字）。"]
    assert TokenForm({"token": "123"}).errors["token"] == [
        "確認コード（6桁）は6文字以上で入力してください（いま3文字）。"
    ]
    form = ResidentForm({"birth_month": "13"})
    assert form.errors["birth_month"] == ["月は12以下にしてください。"]


@pytest.mark.django_db
def test_a_message_the_form_sets_itself_is_kept() -> None:
    form = ComplaintForm({})
    assert form.errors["category"] == ["区分を選んでください。"]
    assert form.errors["received_on"] == ["受けた日を入力してください。"]


@pytest.mark.django_db
def test_the_messages_follow_the_language_of_the_page() -> None:
    with translation.override("en"):
        form = ContactForm({"email": "yoko@"})
        assert form.errors["phone"] == ["Enter phone number."]
        assert form.errors["email"] == ["Enter e-mail address in this form, for example madoguchi@example.jp."]


def summarised_and_shown(text: str) -> tuple[set[str], set[str]]:
    """The forms a template shows fields of, and the forms it has an error summary for."""
    shown, summarised = set(), set()
    for line in text.splitlines():
        # {% with form=forms.hours %}…{% for field in form %} shows forms.hours's fields under the name form.
        alias = re.search(r"{% with form=([\w.]+) %}", line)
        for name in re.findall(r"{% for field in (\w+) %}(?:{% if [^%]*%})?{{ field\|form_field }}", line):
            shown.add(alias.group(1) if alias and name == "form" else name)
        shown |= set(re.findall(r"{{ (\w+)\.\w+\|form_field }}", line))
        for name in re.findall(r"{{ ([\w.]+)\|error_summary }}", line):
            summarised.add(alias.group(1) if alias and name == "form" else name)
    return shown, summarised


def test_every_form_template_shows_the_error_summary_at_the_top() -> None:
    """Every form whose fields a page shows (with their errors) has the summary that links to them."""
    missing = []
    for path in (ROOT / "templates").rglob("*.html"):
        shown, summarised = summarised_and_shown(path.read_text(encoding="utf-8"))
        missing += [f"{path.relative_to(ROOT)}: {name}" for name in sorted(shown - summarised)]
    assert missing == []
    for old in ("notices/error_summary.html", "notices/form_field.html"):
        assert not (ROOT / "templates" / old).exists()


def test_no_template_writes_out_djangos_generic_message() -> None:
    generic = re.compile("このフィールドは必須です|This field is required")
    assert [p for p in (ROOT / "templates").rglob("*.html") if generic.search(p.read_text(encoding="utf-8"))] == []
