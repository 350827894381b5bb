"""The web server's settings. gunicorn reads this file from its working directory, so `gunicorn config.wsgi` run in
the project's directory uses them (README, docs/deploy.md, bench/booking.py); an option on the command line
overrides its setting here.

Two worker processes of four threads each. A process runs Python in one thread at a time (the interpreter's lock),
so its threads overlap only while they wait: on PostgreSQL or Redis, or for a calendar month another request is
making (`availability.page_or_wait`). With two threads the booking steps were no faster beyond the machine's noise,
and the computed calendar fell from about 0.5 to about 0.4 of the trivial view's throughput: its waiting requests
held half of each process (`python bench/booking.py`, runs alternating between the two settings).

A thread back from a round trip waits for the lock until the thread computing gives it up, which Python forces after
SWITCH_INTERVAL (its default, 5 ms, is more than a whole page's work here). Each worker also freezes what it has
loaded (`gc.freeze`): the collector's full passes, which pause every request of the process in flight, no longer
walk the application's modules, settings and URL patterns. In runs alternating with Python's defaults, the same
processes made a median 62 bookings a second against 52; the steps' 95th percentiles moved within the noise.

The workers are gunicorn's threaded workers with one change (`config/gunicorn_worker.py`): a worker takes a new
connection only while it holds no more connections than the other workers. Left to the kernel, the benchmark's 32
kept-alive clients went to whichever worker accepted first, as unevenly as 3 and 29. In booking runs alternating
the two (4 each, the plain workers' split 12/20 to 14/18 in them), the median 95th percentiles were: calendar 171
against 194 ms, confirming POST 212 against 226, reservation page 190 against 198; the day list's four clerks
(2 and 2 instead of 1 and 3) 71 against 87 ms in three full runs each.

More load wants more processes (`--workers`, or more instances), as many as there are cores: the threads of one
process share one core's worth of Python.
"""

from __future__ import annotations

import gc
import sys
from typing import Any

workers = 2
# gunicorn's threaded worker, which takes a new connection only while it holds no more than the other workers
# (config/gunicorn_worker.py).
worker_class = "config.gunicorn_worker.BalancedThreadWorker"
threads = 4

SWITCH_INTERVAL = 0.001  # seconds


def pre_fork(server: Any, worker: Any) -> None:
    from config.gunicorn_worker import assign_slot

    assign_slot(server, worker)


def child_exit(server: Any, worker: Any) -> None:
    from config.gunicorn_worker import release_slot

    release_slot(server, worker)


def post_worker_init(worker: Any) -> None:
    sys.setswitchinterval(SWITCH_INTERVAL)
    # The application is loaded: its modules, settings and URL patterns live as long as the process.
    gc.collect()
    gc.freeze()
