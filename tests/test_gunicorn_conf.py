"""The web server's settings come from gunicorn.conf.py, found in the project's directory by gunicorn itself (the
README's and docs/deploy.md's command names no option); its worker hook shortens the switch interval and freezes
what the worker has loaded; its worker class spreads the connections over the workers."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

from config import gunicorn_worker

ROOT = Path(__file__).resolve().parent.parent


def test_gunicorn_run_in_the_project_directory_reads_its_settings() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "gunicorn", "config.wsgi", "--print-config"],
        cwd=ROOT,
        env={**os.environ, "DEBUG": "true"},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    settings = {}
    for line in done.stdout.splitlines():
        name, _, value = line.partition("=")
        settings[name.strip()] = value.strip()
    assert settings["config"] == "./gunicorn.conf.py"
    assert (settings["workers"], settings["worker_class"], settings["threads"]) == (
        "2",
        "config.gunicorn_worker.BalancedThreadWorker",
        "4",
    )
    assert (settings["pre_fork"], settings["child_exit"]) == ("<pre_fork()>", "<child_exit()>")


def test_each_worker_switches_threads_after_a_millisecond_and_freezes_what_it_loaded() -> None:
    import gc

    from gunicorn.app.base import Application

    class Probe(Application):
        def load_config(self) -> None:
            self.load_config_from_file(str(ROOT / "gunicorn.conf.py"))

        def load(self) -> None:
            return None

    before = sys.getswitchinterval()
    loaded = ["something the process holds when the worker starts"]
    gc.unfreeze()
    assert any(o is loaded for o in gc.get_objects())
    try:
        Probe().cfg.post_worker_init(None)
        assert sys.getswitchinterval() == 0.001
        assert gc.get_freeze_count() > 0
        assert not any(o is loaded for o in gc.get_objects())  # out of the collector's passes
    finally:
        sys.setswitchinterval(before)
        gc.unfreeze()
    assert before == 0.005  # the interpreter's own, which the hook changes


def test_a_worker_takes_a_connection_only_while_it_holds_no_more_than_the_others() -> None:
    held, written = gunicorn_worker._held, gunicorn_worker._written
    saved = list(held), list(written)
    now = time.monotonic()
    try:
        for slot in range(gunicorn_worker.SLOTS):
            held[slot], written[slot] = 0, 0.0
        held[0], written[0] = 5, now
        held[1], written[1] = 7, now
        assert gunicorn_worker.may_accept(0, 5, now)
        assert not gunicorn_worker.may_accept(1, 7, now)
        assert gunicorn_worker.may_accept(1, 5, now)  # as many as the fewest: both may take the next
        # A worker silent for longer than STALE_AFTER (hung, or gone) holds nobody back.
        written[0] = now - gunicorn_worker.STALE_AFTER - 0.1
        assert gunicorn_worker.may_accept(1, 7, now)
        # The master gives each new worker a line no living worker has, and clears it when the worker exits.
        server = type("Arbiter", (), {})()
        first, second = type("Worker", (), {})(), type("Worker", (), {})()
        server.WORKERS = {}
        gunicorn_worker.assign_slot(server, first)
        server.WORKERS = {101: first}
        gunicorn_worker.assign_slot(server, second)
        assert (first.balance_slot, second.balance_slot) == (0, 1)
        written[1] = now
        gunicorn_worker.release_slot(server, second)
        assert written[1] == 0.0
    finally:
        held[:], written[:] = saved


def _server_sockets_open(port: int) -> int:
    """The server's connections on `port` in any state but LISTEN, closing ones included (Linux: /proc)."""
    lines = Path("/proc/net/tcp").read_text().splitlines()[1:]
    return sum(1 for fields in map(str.split, lines) if fields[1].endswith(f":{port:04X}") and fields[3] != "0A")


def test_kept_alive_connections_are_spread_evenly_over_the_workers(tmp_path: Path) -> None:
    """Twenty residents' browsers connect one after another and keep their connections: after each one, the two
    workers hold as many or one apart. gunicorn's own threaded worker leaves them to whichever worker accepts first
    (1 and 19, 8 and 12 in runs of this test with it)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    env = {**os.environ, "DEBUG": "true", "DATABASE_URL": f"sqlite:///{tmp_path / 'db.sqlite3'}"}
    server = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "config.wsgi", "--bind", f"127.0.0.1:{port}", "--log-level", "warning"],
        cwd=ROOT,
        env=env,
        start_new_session=True,
    )
    clients: list[socket.socket] = []
    try:
        deadline = time.monotonic() + 60
        while len(Path(f"/proc/{server.pid}/task/{server.pid}/children").read_text().split()) < 2:
            assert time.monotonic() < deadline, "gunicorn did not start its two workers"
            assert server.poll() is None, "gunicorn exited"
            time.sleep(0.2)

        def connect() -> socket.socket:
            while True:
                try:
                    client = socket.create_connection(("127.0.0.1", port), timeout=30)
                    break
                except ConnectionRefusedError:
                    assert time.monotonic() < deadline, "gunicorn does not listen"
                    time.sleep(0.2)
            client.sendall(b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
            answer = client.recv(4096)
            assert answer.startswith(b"HTTP/1.1 200"), answer[:100]
            return client

        # A worker still loading the application takes no part yet: wait until both have taken a connection.
        while min(gunicorn_worker.connections_by_worker(server.pid, port).values()) == 0:
            assert time.monotonic() < deadline, "the two workers did not both take connections"
            clients.append(connect())
        for client in clients:
            client.close()
        clients.clear()
        while _server_sockets_open(port):
            assert time.monotonic() < deadline, "the workers did not close the connections"
            time.sleep(0.05)
        for _ in range(20):
            clients.append(connect())
            # After each one, the workers hold as many or one apart.
            held = sorted(gunicorn_worker.connections_by_worker(server.pid, port).values())
            assert held == [len(clients) // 2, (len(clients) + 1) // 2], (len(clients), held)
    finally:
        for client in clients:
            client.close()
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(timeout=30)
