"""Staff names are written family name first, as Japanese write them, wherever the product shows one."""

from __future__ import annotations

import csv
import io

import pytest

from certificates.models import AccessLog
from reservations.models import Qualification
from staff.names import staff_name
from tests import factories
from tests.conftest import verify_second_factor

pytestmark = pytest.mark.django_db


@pytest.fixture
def hanako(db):
    account = factories.user("hanako", "clerk")
    account.last_name, account.first_name = "窓口", "花子"
    account.save()
    return account


def test_the_header_names_the_signed_in_clerk_family_name_first(client, hanako) -> None:
    client.force_login(hanako)
    html = client.get("/staff/day/").content.decode()
    assert "窓口 花子（窓口職員）" in html and "花子 窓口" not in html


def test_an_account_without_a_name_shows_its_user_name(db) -> None:
    assert staff_name(factories.user("nameless", "clerk")) == "nameless"


def test_records_that_name_a_clerk_put_the_family_name_first(hanako) -> None:
    qualification = Qualification.objects.create(user=hanako, procedure=factories.procedure())
    assert str(qualification).startswith("窓口 花子 ")
    log = AccessLog.objects.create(user=hanako, action=AccessLog.Action.VIEW)
    assert f" 窓口 花子 {log.get_action_display()}" in str(log)


def test_the_access_log_csv_gives_the_name_family_name_first_and_the_user_name(client, bob, hanako) -> None:
    AccessLog.objects.create(user=hanako, action=AccessLog.Action.VIEW, detail="予約一覧")
    client.force_login(bob)
    verify_second_factor(client, bob)
    response = client.get("/staff/log/?format=csv")
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert rows[0][:3] == ["日時", "職員", "ユーザー名"]
    assert rows[1][1:3] == ["窓口 花子", "hanako"]
