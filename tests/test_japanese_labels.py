"""The Japanese interface has no English words: every model and field of the product has a Japanese name, which
the admin, the model forms and their error messages show."""

from __future__ import annotations

import re

import pytest
from django.apps import apps

from tests import factories

APPS = ("staff", "certificates", "reservations", "notices")
JAPANESE = re.compile(r"[\u3040-\u30ff\u4e00-\u9fff]")


def _named_things():
    for app in APPS:
        for model in apps.get_app_config(app).get_models():
            yield f"{model.__name__}", model._meta.verbose_name
            yield f"{model.__name__} (plural)", model._meta.verbose_name_plural
            for field in model._meta.get_fields():
                if field.auto_created or not hasattr(field, "verbose_name"):
                    continue
                yield f"{model.__name__}.{field.name}", field.verbose_name


def test_every_model_and_field_has_a_japanese_name() -> None:
    english = [f"{where}: {name}" for where, name in _named_things() if not JAPANESE.search(str(name))]
    assert english == []


# Acronyms a Japanese office writes in Latin letters.
ALLOWED = {"CSV", "PDF", "FAX", "URL", "QR", "JR", "ID", "SHA", "UTF", "JIS", "Excel", "xlsx", "Shift", "cm", "mm"}
LABELLING = re.compile(r"<(label|legend|th|button|h1|h2|h3|option|caption)\b[^>]*>(.*?)</\1>", re.S)


def _english_words(html: str) -> set[str]:
    found = set()
    for _tag, inner in LABELLING.findall(html):
        text = re.sub(r"<[^>]+>", " ", inner)
        found |= {word for word in re.findall(r"[A-Za-z]{2,}", text) if word not in ALLOWED}
    return found


@pytest.mark.django_db
def test_the_staff_pages_label_nothing_in_english(supervisor_client, frozen) -> None:
    resident = factories.resident()
    factories.certificate(resident, issued_on=factories.TODAY)
    factories.slot(factories.TODAY)
    pages = [
        "/staff/day/",
        "/staff/book/",
        "/staff/calendar/",
        "/staff/residents/new/",
        f"/staff/residents/{resident.pk}/",
        f"/staff/residents/{resident.pk}/certificates/new/",
        "/staff/certificates/expiring/",
        "/staff/log/",
        "/staff/reservations/review/",
    ]
    english = {page: _english_words(supervisor_client.get(page).content.decode()) for page in pages}
    assert {page: words for page, words in english.items() if words} == {}
