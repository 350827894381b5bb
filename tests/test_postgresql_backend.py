"""config.postgresql: the health check skipped for a connection that has just served a request (PostgreSQL)."""

from __future__ import annotations

import pytest
from django.db import connection as default_connection
from django.db import connections

from config.postgresql import base

pytestmark = pytest.mark.skipif(default_connection.vendor != "postgresql", reason="the PostgreSQL backend")


@pytest.fixture
def checks(monkeypatch, db) -> list[bool]:
    """Every health check the connection makes, with its answer."""
    made: list[bool] = []
    real = base.DatabaseWrapper.is_usable

    def counted(self) -> bool:
        answer = real(self)
        made.append(answer)
        return answer

    monkeypatch.setattr(base.DatabaseWrapper, "is_usable", counted)
    connection = connections["default"]
    connection.ensure_connection()
    # As a request finds it after a long pause.
    connection._served_at = float("-inf")
    connection._used = False
    return made


def a_request(*, uses_database: bool = True) -> None:
    """What a request does to the connection: its first cursor (after the health check), then request_finished."""
    connection = connections["default"]
    connection.health_check_done = False
    if uses_database:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
    base._served()


def test_the_settings_use_this_backend(db) -> None:
    connection = connections["default"]
    connection.ensure_connection()
    assert isinstance(connection, base.DatabaseWrapper)
    assert connection.health_check_enabled


def test_a_connection_that_has_just_served_a_request_is_not_checked_again(checks) -> None:
    a_request()
    assert checks == [True]  # idle for long (here: never served): checked
    a_request()
    a_request()
    assert checks == [True]  # served a moment ago: taken as it is


def test_a_connection_idle_for_longer_is_checked(checks, monkeypatch) -> None:
    a_request()
    monkeypatch.setattr(base.DatabaseWrapper, "RECENT", 0.0)
    a_request()
    assert len(checks) == 2


def test_requests_that_do_not_use_the_database_do_not_count_as_served(checks) -> None:
    # Pages served from the cache: the connection sits unused...
    a_request(uses_database=False)
    a_request(uses_database=False)
    # ...so the next page that reads the database checks it first.
    a_request()
    assert checks == [True]
