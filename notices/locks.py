"""A lock on rendering one batch's PDF that dies with the process holding it.

A qcluster killed half-way through a render must not leave the batch claimed: on PostgreSQL a session-level
advisory lock is released when the connection drops; on SQLite (one machine) an flock on a file in MEDIA_ROOT
is released when the process exits.
"""

from __future__ import annotations

import fcntl
import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from django.conf import settings
from django.db import connection

LOCK_CLASS = 7301  # first key of the two-key advisory lock: "rendering a notice batch"


@contextmanager
def render_lock(batch_id: int) -> Iterator[bool]:
    """Yields True when this process now holds the batch's render lock, False when another one does."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_try_advisory_lock(%s, %s)", [LOCK_CLASS, batch_id])
            acquired = bool(cursor.fetchone()[0])
        try:
            yield acquired
        finally:
            if acquired:
                with connection.cursor() as cursor:
                    cursor.execute("SELECT pg_advisory_unlock(%s, %s)", [LOCK_CLASS, batch_id])
        return
    directory = Path(settings.MEDIA_ROOT) / "notices"
    directory.mkdir(mode=0o700, parents=True, exist_ok=True)
    fd = os.open(directory / f".render-{batch_id}.lock", os.O_RDWR | os.O_CREAT, 0o600)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            yield False
            return
        try:
            yield True
        finally:
            fcntl.flock(fd, fcntl.LOCK_UN)
    finally:
        os.close(fd)
