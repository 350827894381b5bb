"""Django's PostgreSQL backend, with the connection health check skipped for a connection that has just served
a request.

With persistent connections (CONN_MAX_AGE) and CONN_HEALTH_CHECKS, Django sends `SELECT 1` before the first query
of every request: one more round trip to the database on each page that reads it. A connection that was used in
a request which ended less than RECENT seconds ago with the connection still open is taken as it is; one idle
longer is checked as before (and outside requests, in commands and jobs, it always is). What this gives up:
should the database restart or fail over, each connection that was busy a moment before fails its next request
with an error page (at most one per web thread, before anything of that request is written) instead of
reconnecting quietly; Django then closes it, and the next request opens a new one.
"""

from __future__ import annotations

import time
from typing import Any

from django.core.signals import request_finished
from django.db import connections
from django.db.backends.postgresql import base


class DatabaseWrapper(base.DatabaseWrapper):
    RECENT = 1.0

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._served_at = float("-inf")
        self._used = False

    def close_if_health_check_failed(self) -> None:
        # Called before every cursor is made: the connection is used in this request.
        self._used = True
        if (
            self.connection is not None
            and getattr(self, "health_check_enabled", False)
            and not getattr(self, "health_check_done", True)
            and time.monotonic() - self._served_at < self.RECENT
        ):
            self.health_check_done = True
            return
        super().close_if_health_check_failed()


def _served(**kwargs: object) -> None:
    """At the end of a request, after Django's own receiver closed what had an error or is too old: a connection
    used in the request and still open has just answered."""
    now = time.monotonic()
    for connection in connections.all(initialized_only=True):
        if isinstance(connection, DatabaseWrapper):
            if connection.connection is None:
                connection._served_at = float("-inf")
            elif connection._used:
                connection._served_at = now
            connection._used = False


# Connected after django.db's close_old_connections (django.db is imported above), so it runs after it.
request_finished.connect(_served, dispatch_uid="config.postgresql.served")
