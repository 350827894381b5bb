from __future__ import annotations

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from tests import factories

BEFORE = [("notices", "0007_batch_per_office")]
AFTER = [("notices", "0008_one_what_to_bring_list")]


def _migrate(targets):
    executor = MigrationExecutor(connection)
    executor.migrate(targets)
    return executor.loader.project_state(targets).apps


def _latest() -> None:
    executor = MigrationExecutor(connection)
    executor.migrate(executor.loader.graph.leaf_nodes())


@pytest.mark.django_db(transaction=True)
def test_a_letter_list_the_office_changed_is_carried_over_to_the_procedures_checklist() -> None:
    factories.ensure_defaults()
    try:
        old = _migrate(BEFORE)
        old.get_model("notices", "LetterTemplate").objects.create(
            what_to_bring="写真（上記のとおり）\n今お持ちの証明書\n印鑑\n本人確認書類"
        )
        new = _migrate(AFTER)
    finally:
        _latest()
    procedure = new.get_model("reservations", "Procedure").objects.get(slug="jr-pass")
    # The photo line is written from the kind's rule and the current certificate is already on the checklist.
    assert procedure.what_to_bring.splitlines() == [
        "今お持ちの証明書（更新の場合）",
        "児童扶養手当証書（該当する方）",
        "印鑑",
        "本人確認書類",
    ]


@pytest.mark.django_db(transaction=True)
def test_the_default_letter_list_adds_nothing() -> None:
    factories.ensure_defaults()
    try:
        old = _migrate(BEFORE)
        old.get_model("notices", "LetterTemplate").objects.create()
        new = _migrate(AFTER)
    finally:
        _latest()
    procedure = new.get_model("reservations", "Procedure").objects.get(slug="jr-pass")
    assert procedure.what_to_bring == "今お持ちの証明書（更新の場合）\n児童扶養手当証書（該当する方）"
