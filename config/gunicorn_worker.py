"""gunicorn's threaded worker, taking a new connection only while it holds no more connections than the other
workers (gunicorn.conf.py names it as the worker class).

Every worker waits on the same listening socket, and the kernel hands a new connection to whichever of them calls
accept() first. That is not the least busy one: the worker whose main thread is already awake, answering its own
connections, often wins. A connection then stays with the worker that took it for as long as it is kept alive.
`bench/booking.py`'s 32 booking clients, each keeping its connection, were held 3 and 29, 4 and 28, 6 and 26 by
the two workers; its four clerks 1 and 3. One process runs Python on one core at a time, so the residents on the
crowded worker waited for each other while the other worker had spare time.

So each worker publishes how many connections it holds in a small table shared by the workers (made before they
are forked), and takes a new one only while it holds no more than the worker holding fewest. The others stop
listening until that changes, and the waiting connection stays in the kernel's queue for the worker that may take
it. The worker holding fewest may always accept, so a connection is never left without a worker. A worker that has
not written its line for STALE_AFTER seconds (it hangs, or has stopped) does not count: gunicorn replaces a hung
worker only after its timeout, and until then the others must not wait for it.
"""

from __future__ import annotations

import os
import time
from multiprocessing.sharedctypes import RawArray
from pathlib import Path
from typing import Any

from gunicorn.workers.gthread import ThreadWorker

SLOTS = 64  # workers that can take part; one beyond them accepts as gunicorn's own worker does
STALE_AFTER = 2.0  # seconds; a worker writes its line at least once a second (its event loop's timeout)
RECHECK = 0.2  # seconds: how often a worker that stopped listening looks again, when nothing else wakes it

# Anonymous shared memory, made when gunicorn imports this module in its master process, so every worker forked
# from it writes into the same table: connections held, and when it last wrote (the monotonic clock is the
# machine's, the same in every process).
_held = RawArray("l", SLOTS)
_written = RawArray("d", SLOTS)


def may_accept(slot: int, held: int, now: float) -> bool:
    """Whether the worker in `slot`, holding `held` connections, may take another: it holds no more than every
    other worker that has written its line in the last STALE_AFTER seconds."""
    for other in range(SLOTS):
        if other != slot and now - _written[other] < STALE_AFTER and _held[other] < held:
            return False
    return True


def assign_slot(server: Any, worker: Any) -> None:
    """gunicorn's pre_fork hook, in the master process: the worker's line in the table, one no living worker has."""
    used = {getattr(other, "balance_slot", None) for other in server.WORKERS.values()}
    worker.balance_slot = next((slot for slot in range(SLOTS) if slot not in used), None)
    if worker.balance_slot is not None:
        _held[worker.balance_slot] = 0
        _written[worker.balance_slot] = 0.0


def release_slot(server: Any, worker: Any) -> None:
    """gunicorn's child_exit hook, in the master process: a worker that has exited no longer counts."""
    slot = getattr(worker, "balance_slot", None)
    if slot is not None:
        _written[slot] = 0.0
        _held[slot] = 0


class BalancedThreadWorker(ThreadWorker):
    balance_slot: int | None = None

    def _publish(self) -> bool:
        """Write this worker's line; True when it may take another connection."""
        slot = self.balance_slot
        if slot is None:
            return True
        now = time.monotonic()
        _held[slot] = self.nr_conns
        _written[slot] = now
        return may_accept(slot, self.nr_conns, now)

    def set_accept_enabled(self, enabled: bool) -> None:
        if not self.alive:
            # Stopping: it takes nothing more, and the connections it finishes must not hold the others back.
            if self.balance_slot is not None:
                _written[self.balance_slot] = 0.0
            super().set_accept_enabled(False)
            return
        # gunicorn's loop asks to listen again on every turn while the worker is below worker_connections.
        super().set_accept_enabled(enabled and self._publish())

    def accept(self, listener: Any) -> None:
        if not self._publish():
            # Leave the connection in the kernel's queue for a worker that holds fewer.
            super().set_accept_enabled(False)
            return
        super().accept(listener)
        self._publish()

    def wait_for_and_dispatch_events(self, timeout: float) -> None:
        if self._accepting and not self._publish():
            super().set_accept_enabled(False)
        super().wait_for_and_dispatch_events(timeout if self._accepting else min(timeout, RECHECK))


def connections_by_worker(master_pid: int, port: int) -> dict[int, int]:
    """How many established connections to `port` each worker of the gunicorn master `master_pid` holds (Linux:
    read from /proc; for IPv4 listeners). What `ss -tnp state established '( sport = :PORT )'` shows, for the
    benchmark and the tests."""
    workers = [int(pid) for pid in Path(f"/proc/{master_pid}/task/{master_pid}/children").read_text().split()]
    local_port = f":{port:04X}"
    established = set()
    for line in Path("/proc/net/tcp").read_text().splitlines()[1:]:
        fields = line.split()
        if fields[1].endswith(local_port) and fields[3] == "01":  # 01: ESTABLISHED
            established.add(f"socket:[{fields[9]}]")
    held = {}
    for pid in workers:
        count = 0
        try:
            for fd in Path(f"/proc/{pid}/fd").iterdir():
                try:
                    count += os.readlink(fd) in established
                except OSError:
                    continue
        except OSError:
            continue  # the worker has just exited
        held[pid] = count
    return held
