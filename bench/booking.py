"""Booking under load: gunicorn (2 workers) on PostgreSQL with a seeded month of slots.

    python bench/booking.py                        # PostgreSQL at 127.0.0.1:5432, 32 clients, 15 s per phase
    python bench/booking.py --clients 32 --seconds 15 --database-url postgres://postgres@127.0.0.1:5432/bench

Three phases against the same server, each bounded in time: the trivial view /healthz (the ceiling), the
availability page (a month calendar), and whole bookings (calendar → time → acknowledgements → details →
confirm; the latency reported is the confirming POST). Prints requests/s, p50/p95/p99, errors and overbookings
(slots holding more bookings than places, read from the database afterwards).
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import random
import re
import socket
import sys
import threading
import time
import urllib.parse
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _setup import (
    OVERBOOKED_SLOTS,
    fresh_postgres,
    manage,
    manage_shell,
    production_env,
    start_gunicorn,
    stop,
)

CSRF_RE = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')
DAY_RE = re.compile(r'href="/book/p/jr-pass/(\d{4}-\d{2}-\d{2})/"')
SLOT_RE = re.compile(r'name="slot" value="(\d+)"')
ACK_RE = re.compile(r'name="(ack_\d+)"')


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Client:
    """One browser: keep-alive connection, cookies, CSRF token."""

    def __init__(self, port: int) -> None:
        self.port = port
        self.conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        self.cookies: dict[str, str] = {}

    def request(self, method: str, path: str, form: dict[str, str] | None = None) -> tuple[int, str, str]:
        headers = {"Host": "127.0.0.1"}
        if self.cookies:
            headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        body = None
        if form is not None:
            body = urllib.parse.urlencode(form)
            headers["Content-Type"] = "application/x-www-form-urlencoded"
            headers["Referer"] = f"http://127.0.0.1:{self.port}{path}"
        for attempt in range(2):
            try:
                self.conn.request(method, path, body=body, headers=headers)
                response = self.conn.getresponse()
                text = response.read().decode("utf-8", "replace")
                break
            except (http.client.HTTPException, OSError):
                self.conn.close()
                self.conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
                # A keep-alive connection the server closed while idle: a browser retries a GET once.
                if method != "GET" or attempt:
                    raise
        for header, value in response.getheaders():
            if header.lower() == "set-cookie":
                name, _, rest = value.partition("=")
                self.cookies[name] = rest.split(";", 1)[0]
        return response.status, response.getheader("Location") or "", text


def percentile(values: list[float], pct: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(pct / 100 * (len(ordered) - 1))))
    return ordered[index]


def _phase_process(port: int, first: int, count: int, seconds: float, work_name: str, queue) -> None:
    """One client process running `count` client threads: Python threads share one core's worth of
    interpreter, so the clients are spread over processes to measure the server rather than the client."""
    work = globals()[work_name]
    latencies: list[float] = []
    errors = [0]
    outcomes: dict[str, int] = {}
    lock = threading.Lock()
    stop = time.monotonic() + seconds

    def loop(index: int) -> None:
        client = Client(port)
        rng = random.Random(index)
        while time.monotonic() < stop:
            try:
                latency, outcome = work(client, rng, index)
            except Exception:  # any failure is counted, the run goes on
                with lock:
                    errors[0] += 1
                continue
            with lock:
                if outcome in ("ok", "booked", "full"):
                    latencies.append(latency)
                outcomes[outcome] = outcomes.get(outcome, 0) + 1

    threads = [threading.Thread(target=loop, args=(first + i,)) for i in range(count)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    queue.put((latencies, errors[0], outcomes))


def run_phase(name: str, port: int, clients: int, seconds: float, work_name: str, processes: int) -> dict:
    import multiprocessing

    queue = multiprocessing.Queue()
    per = [clients // processes + (1 if i < clients % processes else 0) for i in range(processes)]
    workers = []
    first = 0
    started = time.monotonic()
    for count in per:
        worker = multiprocessing.Process(target=_phase_process, args=(port, first, count, seconds, work_name, queue))
        worker.start()
        workers.append(worker)
        first += count
    results = [queue.get(timeout=seconds + 120) for _ in workers]
    for worker in workers:
        worker.join()
    elapsed = time.monotonic() - started
    latencies = [x for r in results for x in r[0]]
    outcomes: dict[str, int] = {}
    for r in results:
        for key, value in r[2].items():
            outcomes[key] = outcomes.get(key, 0) + value
    return {
        "phase": name,
        "requests": len(latencies),
        "rps": round(len(latencies) / elapsed, 1),
        "p50_ms": round(percentile(latencies, 50) * 1000, 1),
        "p95_ms": round(percentile(latencies, 95) * 1000, 1),
        "p99_ms": round(percentile(latencies, 99) * 1000, 1),
        "errors": sum(r[1] for r in results),
        "outcomes": outcomes,
    }


def trivial(client: Client, rng: random.Random, index: int) -> tuple[float, str]:
    start = time.perf_counter()
    status, _, _ = client.request("GET", "/healthz")
    if status != 200:
        raise RuntimeError(status)
    return time.perf_counter() - start, "ok"


def availability(client: Client, rng: random.Random, index: int) -> tuple[float, str]:
    start = time.perf_counter()
    status, _, text = client.request("GET", "/book/p/jr-pass/")
    if status != 200 or "month-calendar" not in text:
        raise RuntimeError(status)
    return time.perf_counter() - start, "ok"


_counter = [0]
_counter_lock = threading.Lock()


def booking(client: Client, rng: random.Random, index: int) -> tuple[float, str]:
    client.cookies.clear()
    with _counter_lock:
        _counter[0] += 1
        n = _counter[0]
    status, _, text = client.request("GET", "/book/p/jr-pass/")
    if status != 200:
        raise RuntimeError(f"calendar answered {status}")
    days = DAY_RE.findall(text)
    # The first month may have no bookable day left (late in the month): look at the next one too.
    next_link = re.search(r'href="\?month=(\d{4}-\d{2})">次の月', text)
    if next_link and (not days or rng.random() < 0.5):
        status, _, text = client.request("GET", f"/book/p/jr-pass/?month={next_link.group(1)}")
        days = DAY_RE.findall(text) or days
    if not days:
        return 0.0, "no-day"
    day = rng.choice(days)
    status, _, text = client.request("GET", f"/book/p/jr-pass/{day}/")
    slots = SLOT_RE.findall(text)
    if not slots:
        return 0.0, "no-slot"
    token = CSRF_RE.search(text).group(1)
    status, location, _ = client.request(
        "POST", f"/book/p/jr-pass/{day}/", {"csrfmiddlewaretoken": token, "slot": rng.choice(slots)}
    )
    if location != "/book/acknowledgements/":
        return 0.0, "slot-taken"
    status, _, text = client.request("GET", "/book/acknowledgements/")
    token = CSRF_RE.search(text).group(1)
    form = {"csrfmiddlewaretoken": token, **{name: "on" for name in ACK_RE.findall(text)}}
    client.request("POST", "/book/acknowledgements/", form)
    status, _, text = client.request("GET", "/book/details/")
    token = CSRF_RE.search(text).group(1)
    client.request(
        "POST",
        "/book/details/",
        {
            "csrfmiddlewaretoken": token,
            "family_name": "負荷",
            "given_name": "太郎",
            "family_name_kana": "フカ",
            "given_name_kana": "タロウ",
            "phone": f"090{index:03d}{n:05d}",
            "email": "",
        },
    )
    status, _, text = client.request("GET", "/book/confirm/")
    token = CSRF_RE.search(text).group(1)
    start = time.perf_counter()
    status, location, _ = client.request("POST", "/book/confirm/", {"csrfmiddlewaretoken": token})
    latency = time.perf_counter() - start
    if status == 302 and location.startswith("/reservation/"):
        return latency, "booked"
    if status == 302 and location.startswith("/book/p/"):
        return latency, "full"
    raise RuntimeError(f"confirm answered {status} {location}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--clients", type=int, default=32)
    parser.add_argument("--seconds", type=float, default=15)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--client-processes", type=int, default=4)
    parser.add_argument("--places", type=int, default=2, help="places per slot in the seeded month")
    parser.add_argument("--database-url", default="postgres://postgres@127.0.0.1:5432/madoguchi_bench")
    parser.add_argument("--cache-url", default="redis://127.0.0.1:6379/3")
    args = parser.parse_args()

    scratch = Path(f"/tmp/madoguchi-bench-{os.getpid()}")
    env = production_env(scratch, DATABASE_URL=args.database_url, CACHE_URL=args.cache_url)
    if args.database_url.startswith("postgres"):
        fresh_postgres(args.database_url)
    for command in (["migrate", "-v0"], ["createcachetable"], ["collectstatic", "--noinput", "-v0"]):
        manage(env, *command)
    slots = manage_shell(
        env,
        "from reservations.models import OpeningHours; from reservations.slots import slots_generate_all;"
        f"OpeningHours.objects.update(places={args.places}); print(slots_generate_all())",
    )
    port = free_port()
    server = start_gunicorn(port, env, workers=args.workers)
    try:
        results = [
            run_phase("trivial view /healthz", port, args.clients, args.seconds, "trivial", args.client_processes),
            run_phase("availability page", port, args.clients, args.seconds, "availability", args.client_processes),
            run_phase("booking (confirm POST)", port, args.clients, args.seconds, "booking", args.client_processes),
        ]
    finally:
        stop(server)
    over, booked = manage_shell(
        env,
        OVERBOOKED_SLOTS
        + "from reservations.models import Reservation\nprint(overbooked, Reservation.objects.count())",
    ).split()
    print(
        f"gunicorn {args.workers} workers, {args.clients} clients, {args.seconds:.0f} s per phase, "
        f"{slots} slots of {args.places} places, database {urllib.parse.urlparse(args.database_url).scheme}"
    )
    for r in results:
        print(
            f"{r['phase']:<26} {r['rps']:>8} req/s  p50 {r['p50_ms']:>7} ms  p95 {r['p95_ms']:>7} ms  "
            f"p99 {r['p99_ms']:>7} ms  errors {r['errors']}  {r['outcomes']}"
        )
    ceiling = results[0]["rps"]
    print(f"availability / trivial throughput: {results[1]['rps'] / ceiling:.2f}")
    print(f"reservations in the database: {booked}; overbooked or miscounted slots: {over}")
    print(
        json.dumps({"results": results, "overbooked_slots": int(over), "reservations": int(booked)}, ensure_ascii=False)
    )
    print(f"reproduce: python bench/booking.py --clients {args.clients} --seconds {args.seconds:.0f}")


if __name__ == "__main__":
    main()
