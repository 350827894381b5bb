"""The web server's settings. gunicorn reads this file from its working directory, so `gunicorn config.wsgi` run in
the project's directory uses them (README, docs/deploy.md, bench/booking.py); an option on the command line
overrides its setting here.

Two worker processes of two threads each. A process runs Python in one thread at a time (the interpreter's lock),
so its threads overlap only while they wait on PostgreSQL or Redis; after each such round trip a thread waits for
the lock again while the others compute, and a request makes several. Under load, the same two processes with two
threads each answered more bookings a second than with four, and every booking step's 95th percentile fell
(`python bench/booking.py`, runs alternating with the four-thread setting). A thread waiting for the lock gets it after
at most SWITCH_INTERVAL of another thread's computing (Python's default, 5 ms, is more than a whole page's work).

A request that keeps its thread long (a letter rendered for the counter, a large export) holds the lock of its
process most of that time whatever the number of threads, so more threads would not serve others sooner. The
reverse proxy (docs/deploy.md) receives each request whole before it reaches gunicorn, so no slow client holds a
thread. More load wants more processes (`--workers`, or more instances), as many as there are cores.
"""

from __future__ import annotations

import gc
import sys
from typing import Any

workers = 2
worker_class = "gthread"
threads = 2

SWITCH_INTERVAL = 0.001  # seconds


def post_worker_init(worker: Any) -> None:
    sys.setswitchinterval(SWITCH_INTERVAL)
    # The application is loaded: its modules, settings and URL patterns live as long as the process. Frozen, the
    # collector's full passes no longer walk them, and the pauses they cause every request of the process in flight
    # (at each step's 95th percentile) are shorter.
    gc.collect()
    gc.freeze()
