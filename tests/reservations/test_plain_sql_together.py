"""plain_sql.run_together: statements run in order, each's rows returned; on PostgreSQL in one round trip, unless
the connection binds values on the server (then one statement an execute)."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from reservations import plain_sql

pytestmark = pytest.mark.django_db

STATEMENTS = [("SELECT %s", [1]), ("SELECT %s, %s", [2, "two"]), ("SELECT %s", [3])]


def test_each_statement_gives_its_rows_in_order() -> None:
    with CaptureQueriesContext(connection) as queries:
        assert plain_sql.run_together(STATEMENTS) == [[(1,)], [(2, "two")], [(3,)]]
    assert len(queries) == (1 if connection.vendor == "postgresql" else 3)


def test_with_server_side_binding_they_go_one_by_one(monkeypatch) -> None:
    monkeypatch.setitem(
        connection.settings_dict, "OPTIONS", {**connection.settings_dict["OPTIONS"], "server_side_binding": True}
    )
    with CaptureQueriesContext(connection) as queries:
        assert plain_sql.run_together(STATEMENTS) == [[(1,)], [(2, "two")], [(3,)]]
    assert len(queries) == 3
