"""The Japanese interface has no English words: every model and field of the product has a Japanese name, which
the admin, the model forms and their error messages show."""

from __future__ import annotations

import re

from django.apps import apps

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
