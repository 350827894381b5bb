"""Booking under load: gunicorn (2 workers, the rest of its settings from gunicorn.conf.py) on PostgreSQL and Redis
with a seeded month of slots.

    python bench/booking.py          # PostgreSQL at 127.0.0.1:5432, Redis at 127.0.0.1:6379, 32 clients, 15 s
    python bench/booking.py --clients 32 --seconds 15 --port 8108 \\
        --database-url postgres://postgres@127.0.0.1:5432/madoguchi_bench --cache-url redis://127.0.0.1:6379/3

Phases against the same server, each bounded in time:

- `trivial view`: /healthz, which touches neither the database nor the session: the ceiling.
- `day list`: a clerk's day list with --day-list-appointments appointments on the day (--day-list-clients clerks).
- `availability page (cached)`: the month calendar while nothing changes the availability.
- `availability page (computed)`: the month calendar while --booking-clients more clients make whole bookings and
  cancel each one from its reservation page. A booking changes the month only when it takes its day's last place
  (reservations.booking); a cancellation always changes the availability, so the month must be computed again
  after each one.
- `booking: <step>`: whole bookings, each step timed on its own: calendar, times, times POST, acknowledgements,
  acknowledgements POST, details, details POST, confirm, confirm POST, done (the reservation page).

The server runs as behind the reverse proxy of docs/deploy.md: each client sends the X-Forwarded-For header a
proxy would add, with an address of its own, so per-client limits count each resident on their own rather than
all of them on one shared row. The calendar phases print their cache hit rate, read from the `Server-Timing`
header the calendar page sends (`calendar;desc=hit` or `miss`). After every phase that books, the slots are
checked in the database: none may hold more bookings than places, and each slot's count must match its
reservations. The machine's load average is printed with each phase: on a shared machine the figures move
with it.

Each client keeps its connection to gunicorn alive, and a kept connection stays with the worker that accepted
it; behind nginx (docs/deploy.md) every request comes on a new connection instead. The workers take a new
connection only while they hold no more than the others (config/gunicorn_worker.py); halfway through each phase
the benchmark counts the connections each worker holds and prints them (`conns`, and `connections_per_worker` in
the JSON line), since a phase whose clients sit mostly on one worker measures that worker rather than the server.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import re
import runpy
import socket
import sys
import threading
import time
import urllib.parse
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from _setup import (
    OVERBOOKED_SLOTS,
    fresh_postgres,
    manage,
    manage_shell,
    production_env,
    staff_the_counter,
    start_gunicorn,
    stop,
)

from config.gunicorn_worker import connections_by_worker

# The gunicorn master's process id and port, once it runs: each phase counts the connections each worker holds.
SERVER: tuple[int, int] | None = None

CSRF_RE = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')
DAY_RE = re.compile(r'href="/book/p/jr-pass/(\d{4}-\d{2}-\d{2})/"')
SLOT_RE = re.compile(r'name="slot" value="(\d+)"')
ACK_RE = re.compile(r'name="(ack_\d+)"')
NEXT_MONTH_RE = re.compile(r'href="\?month=(\d{4}-\d{2})">次の月')
CACHE_RE = re.compile(r"\bcalendar;desc=\"?(hit|miss)")

STEPS = (
    "calendar",
    "times",
    "times POST",
    "acknowledgements",
    "acknowledgements POST",
    "details",
    "details POST",
    "confirm",
    "confirm POST",
    "done",
)


def gunicorn_threads() -> int:
    return int(runpy.run_path(str(Path(__file__).resolve().parent.parent / "gunicorn.conf.py"))["threads"])


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Response:
    def __init__(self, status: int, location: str, text: str, cache: str | None) -> None:
        self.status, self.location, self.text, self.cache = status, location, text, cache


class Connection:
    """HTTP/1.1 on one kept-alive socket, with as little work per request as a client can do. The clients share the
    machine with the server they measure: http.client parses each response's headers with the e-mail parser, and
    cost the clients about 0.3 ms of CPU a request, a tenth of the machine under this load."""

    def __init__(self, port: int) -> None:
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=30)
        self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.file = self.sock.makefile("rb")

    def close(self) -> None:
        self.file.close()
        self.sock.close()

    def exchange(self, head: str, body: bytes) -> tuple[int, dict[str, list[str]], bytes, bool]:
        """Send a request (its head without the final blank line) and read the response: status, headers (lower-case
        names, each with its values), body, and whether the server closes the connection after it."""
        self.sock.sendall(head.encode("latin-1") + f"Content-Length: {len(body)}\r\n\r\n".encode() + body)
        status_line = self.file.readline()
        if not status_line:
            raise ConnectionError("the server closed the connection")
        status = int(status_line.split(b" ", 2)[1])
        headers: dict[str, list[str]] = {}
        while True:
            line = self.file.readline()
            if line in (b"\r\n", b"\n", b""):
                break
            name, _, value = line.decode("latin-1").partition(":")
            headers.setdefault(name.strip().lower(), []).append(value.strip())
        if "content-length" in headers:
            data = self.file.read(int(headers["content-length"][0]))
        elif "chunked" in headers.get("transfer-encoding", [""])[0].lower():
            parts = []
            while True:
                size = int(self.file.readline().split(b";")[0], 16)
                if not size:
                    while self.file.readline() not in (b"\r\n", b"\n", b""):
                        pass
                    break
                parts.append(self.file.read(size))
                self.file.readline()
            data = b"".join(parts)
        else:
            data = self.file.read()
            return status, headers, data, True
        closing = headers.get("connection", [""])[0].lower() == "close"
        return status, headers, data, closing


class Client:
    """One browser: keep-alive connection, cookies, CSRF token."""

    def __init__(self, port: int, address: str = "") -> None:
        self.port = port
        self.conn: Connection | None = None
        self.cookies: dict[str, str] = {}
        # As the reverse proxy of docs/deploy.md reports it: each client is a resident with an address of their own.
        self.address = address

    def reconnect(self) -> None:
        if self.conn is not None:
            self.conn.close()
        self.conn = None

    def request(self, method: str, path: str, form: dict[str, str] | None = None) -> Response:
        head = [f"{method} {path} HTTP/1.1", "Host: 127.0.0.1"]
        if self.address:
            head.append(f"X-Forwarded-For: {self.address}")
        if self.cookies:
            head.append("Cookie: " + "; ".join(f"{k}={v}" for k, v in self.cookies.items()))
        body = b""
        if form is not None:
            body = urllib.parse.urlencode(form).encode()
            head.append("Content-Type: application/x-www-form-urlencoded")
            head.append(f"Referer: http://127.0.0.1:{self.port}{path}")
        request_head = "\r\n".join(head) + "\r\n"
        for attempt in range(2):
            try:
                if self.conn is None:
                    self.conn = Connection(self.port)
                status, headers, data, closing = self.conn.exchange(request_head, body)
                break
            except OSError:
                self.reconnect()
                # A keep-alive connection the server closed while idle: a browser retries a GET once.
                if method != "GET" or attempt:
                    raise
        if closing:
            self.reconnect()
        for value in headers.get("set-cookie", ()):
            name, _, rest = value.partition("=")
            value = rest.split(";", 1)[0]
            if value in ("", '""') or "max-age=0" in rest.lower():
                self.cookies.pop(name, None)
            else:
                self.cookies[name] = value
        timing = CACHE_RE.search(headers.get("server-timing", [""])[0])
        text = data.decode("utf-8", "replace")
        return Response(status, headers.get("location", [""])[0], text, timing and timing.group(1))


def percentile(values: list[float], pct: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(pct / 100 * (len(ordered) - 1))))
    return ordered[index]


class Recorder:
    """What one client process saw: latencies, errors and cache answers per step, outcomes of whole tasks."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.latencies: dict[str, list[float]] = {}
        self.errors: dict[str, int] = {}
        self.cache: dict[str, dict[str, int]] = {}
        self.outcomes: dict[str, int] = {}

    def timed(self, client: Client, step: str, method: str, path: str, form: dict[str, str] | None = None) -> Response:
        client.step = step  # type: ignore[attr-defined]
        start = time.perf_counter()
        response = client.request(method, path, form)
        latency = time.perf_counter() - start
        if response.status >= 500:
            raise RuntimeError(f"{step} answered {response.status}")
        with self.lock:
            self.latencies.setdefault(step, []).append(latency)
            if response.cache:
                counts = self.cache.setdefault(step, {})
                counts[response.cache] = counts.get(response.cache, 0) + 1
        return response

    def error(self, step: str) -> None:
        with self.lock:
            self.errors[step] = self.errors.get(step, 0) + 1

    def outcome(self, name: str) -> None:
        with self.lock:
            self.outcomes[name] = self.outcomes.get(name, 0) + 1

    def dump(self) -> dict:
        return {"latencies": self.latencies, "errors": self.errors, "cache": self.cache, "outcomes": self.outcomes}


# --- what the clients do ---------------------------------------------------------------------------------


def trivial(client: Client, rec: Recorder, rng: random.Random, tag: str) -> None:
    response = rec.timed(client, "trivial view", "GET", "/healthz")
    if response.status != 200:
        raise RuntimeError(response.status)


def availability(client: Client, rec: Recorder, rng: random.Random, tag: str) -> None:
    response = rec.timed(client, "availability page", "GET", "/book/p/jr-pass/")
    if response.status != 200 or "month-calendar" not in response.text:
        raise RuntimeError(response.status)


def day_list(client: Client, rec: Recorder, rng: random.Random, tag: str) -> None:
    response = rec.timed(client, "day list", "GET", client.day_list_path)  # type: ignore[attr-defined]
    # Every appointment of the day is on the page, one row each.
    if response.status != 200 or response.text.count('<tr class="status-') != client.appointments:  # type: ignore[attr-defined]
        raise RuntimeError(response.status)


def booking(client: Client, rec: Recorder, rng: random.Random, tag: str) -> str | None:
    """One whole booking, as a resident's browser makes it; each request is timed under its step's name. Returns
    the reservation page's address, when it booked."""
    client.cookies.clear()
    client.bookings = getattr(client, "bookings", 0) + 1  # type: ignore[attr-defined]
    phone = f"09{tag}{client.bookings:05d}"  # type: ignore[attr-defined]

    def step(name: str, method: str, path: str, form: dict[str, str] | None = None) -> Response:
        return rec.timed(client, f"booking: {name}", method, path, form)

    response = step("calendar", "GET", "/book/p/jr-pass/")
    if response.status != 200:
        raise RuntimeError(f"calendar answered {response.status}")
    days = DAY_RE.findall(response.text)
    # The first month may have no bookable day left (late in the month): look at the next one too.
    next_link = NEXT_MONTH_RE.search(response.text)
    if next_link and (not days or rng.random() < 0.5):
        response = step("calendar", "GET", f"/book/p/jr-pass/?month={next_link.group(1)}")
        days = DAY_RE.findall(response.text) or days
    if not days:
        rec.outcome("no-day")
        return None
    day = rng.choice(days)
    response = step("times", "GET", f"/book/p/jr-pass/{day}/")
    slots = SLOT_RE.findall(response.text)
    if not slots:
        rec.outcome("no-slot")
        return None
    token = CSRF_RE.search(response.text).group(1)
    response = step(
        "times POST", "POST", f"/book/p/jr-pass/{day}/", {"csrfmiddlewaretoken": token, "slot": rng.choice(slots)}
    )
    if response.location != "/book/acknowledgements/":
        if response.status == 302:
            rec.outcome("slot-taken")
            return None
        raise RuntimeError(f"times POST answered {response.status} {response.location}")
    response = step("acknowledgements", "GET", "/book/acknowledgements/")
    token = CSRF_RE.search(response.text).group(1)
    form = {"csrfmiddlewaretoken": token, **{name: "on" for name in ACK_RE.findall(response.text)}}
    response = step("acknowledgements POST", "POST", "/book/acknowledgements/", form)
    if response.status != 302 or response.location != "/book/details/":
        raise RuntimeError(f"acknowledgements POST answered {response.status} {response.location}")
    response = step("details", "GET", "/book/details/")
    token = CSRF_RE.search(response.text).group(1)
    contact = {
        "csrfmiddlewaretoken": token,
        "family_name": "負荷",
        "given_name": "太郎",
        "family_name_kana": "フカ",
        "given_name_kana": "タロウ",
        "phone": phone,
        "email": "",
    }
    response = step("details POST", "POST", "/book/details/", contact)
    if response.status != 302 or response.location != "/book/confirm/":
        raise RuntimeError(f"details POST answered {response.status} {response.location}")
    response = step("confirm", "GET", "/book/confirm/")
    token = CSRF_RE.search(response.text).group(1)
    response = step("confirm POST", "POST", "/book/confirm/", {"csrfmiddlewaretoken": token})
    if response.status == 302 and response.location.startswith("/book/p/"):
        rec.outcome("full")
        return None
    if response.status != 302 or not response.location.startswith("/reservation/"):
        raise RuntimeError(f"confirm POST answered {response.status} {response.location}")
    page = response.location
    response = step("done", "GET", page)
    if response.status != 200:
        raise RuntimeError(f"reservation page answered {response.status}")
    rec.outcome("booked")
    return page


def booking_cancelled(client: Client, rec: Recorder, rng: random.Random, tag: str) -> None:
    """A whole booking, then its cancellation from the reservation page. A booking changes the month calendar
    only when it takes its day's last place; a cancellation always changes the availability version, so the
    month is computed again after each one."""
    page = booking(client, rec, rng, tag)
    if page is None:
        return
    response = rec.timed(client, "cancel", "GET", f"{page}cancel/")
    token = CSRF_RE.search(response.text).group(1)
    response = rec.timed(client, "cancel POST", "POST", f"{page}cancel/", {"csrfmiddlewaretoken": token})
    if response.status != 302 or response.location != page:
        raise RuntimeError(f"cancel POST answered {response.status} {response.location}")
    rec.outcome("cancelled")


WORKS = {
    "trivial": trivial,
    "availability": availability,
    "booking": booking,
    "booking_cancelled": booking_cancelled,
    "day_list": day_list,
}


def _client_process(port: int, clients: list[tuple[int, str]], seconds: float, phase: int, extra: dict, queue) -> None:
    """One client process running some client threads: Python threads share one core's worth of interpreter,
    so the clients are spread over processes to measure the server rather than the client."""
    rec = Recorder()
    deadline = time.monotonic() + seconds

    def loop(index: int, work_name: str) -> None:
        client = Client(port, f"10.{phase}.{index // 250}.{index % 250 + 1}")
        for key, value in extra.items():
            setattr(client, key, value)
        if "session" in extra:
            client.cookies["sessionid"] = extra["session"]
        rng = random.Random(index)
        work = WORKS[work_name]
        while time.monotonic() < deadline:
            client.step = work_name  # type: ignore[attr-defined]
            try:
                work(client, rec, rng, f"{phase}{index:03d}")
            except Exception:
                rec.error(client.step)  # type: ignore[attr-defined]
                client.reconnect()

    threads = [threading.Thread(target=loop, args=client) for client in clients]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    queue.put(rec.dump())


def run_phase(port: int, works: list[tuple[str, int]], seconds: float, processes: int, phase: int, extra: dict) -> dict:
    """Run the clients (work name, count) for `seconds`; returns the merged records and the elapsed time."""
    import multiprocessing

    clients = [(i, name) for i, name in enumerate(name for name, count in works for _ in range(count))]
    shares = [clients[i::processes] for i in range(processes)]
    shares = [share for share in shares if share]
    queue = multiprocessing.Queue()
    load_before = os.getloadavg()[0]
    started = time.monotonic()
    workers = [
        multiprocessing.Process(target=_client_process, args=(port, share, seconds, phase, extra, queue))
        for share in shares
    ]
    held: list[int] = []

    def count_connections() -> None:
        if SERVER:
            held.extend(sorted(connections_by_worker(*SERVER).values()))

    spread = threading.Timer(seconds / 2, count_connections)
    for worker in workers:
        worker.start()
    spread.start()
    dumps = [queue.get(timeout=seconds + 120) for _ in workers]
    for worker in workers:
        worker.join()
    elapsed = time.monotonic() - started
    merged: dict = {"latencies": {}, "errors": {}, "cache": {}, "outcomes": {}, "elapsed": elapsed}
    for dump in dumps:
        for step, values in dump["latencies"].items():
            merged["latencies"].setdefault(step, []).extend(values)
        for key in ("errors", "outcomes"):
            for name, n in dump[key].items():
                merged[key][name] = merged[key].get(name, 0) + n
        for step, counts in dump["cache"].items():
            target = merged["cache"].setdefault(step, {})
            for name, n in counts.items():
                target[name] = target.get(name, 0) + n
    merged["load"] = [round(load_before, 2), round(os.getloadavg()[0], 2)]
    if spread.is_alive():
        spread.cancel()
    merged["connections"] = held
    return merged


def summary(name: str, merged: dict, step: str, *, hit_rate: bool = False, **more: object) -> dict:
    latencies = merged["latencies"].get(step, [])
    result = {
        "phase": name,
        "requests": len(latencies),
        "rps": round(len(latencies) / merged["elapsed"], 1),
        "p50_ms": round(percentile(latencies, 50) * 1000, 1),
        "p95_ms": round(percentile(latencies, 95) * 1000, 1),
        "p99_ms": round(percentile(latencies, 99) * 1000, 1),
        "errors": merged["errors"].get(step, 0),
    }
    if hit_rate:
        counts = merged["cache"].get(step, {})
        answered = counts.get("hit", 0) + counts.get("miss", 0)
        result["hit_rate"] = round(counts.get("hit", 0) / answered, 3) if answered else None
    result["load_avg"] = merged["load"]
    if merged.get("connections"):
        result["connections_per_worker"] = merged["connections"]
    result.update(more)
    return result


def overbooked(env: dict[str, str]) -> tuple[int, int]:
    over, booked = manage_shell(
        env,
        OVERBOOKED_SLOTS
        + "from reservations.models import Reservation\nprint(overbooked, Reservation.objects.count())",
    ).split()
    return int(over), int(booked)


DAY_LIST_SEED = """
from datetime import timedelta
from django.contrib.auth.models import Group, User
from django.test import Client
from django.utils import timezone
from reservations import booking as services
from reservations.models import Procedure, Reservation, Slot

clerk = User.objects.create_user("bench-clerk", password=None)
clerk.groups.add(Group.objects.get(name="clerk"))
procedure = Procedure.objects.get(slug="jr-pass")
today = timezone.localdate()
day = Slot.objects.filter(procedure=procedure, day__gt=today + timedelta(days=3)).order_by("day").first().day
# A busy day: enough places on it for every appointment of the day list.
on_day = Slot.objects.filter(procedure=procedure, day=day)
on_day.update(places=max(on_day.first().places, -(-{count} // on_day.count())))
slots = list(on_day.order_by("start"))
made = 0
while made < {count}:
    slot = slots[made % len(slots)]
    if slot.left <= 0:
        slots.remove(slot)
        continue
    services.reservation_book(
        procedure=procedure, slot_id=slot.pk, user=clerk, channel=Reservation.Channel.PHONE, acknowledged=[
            a.pk for a in procedure.acknowledgements.all()],
        contact=services.Contact("窓口", "花子", "マドグチ", "ハナコ", f"06{made:08d}"),
    )
    slot.refresh_from_db()
    made += 1
browser = Client()
browser.force_login(clerk)
print(day.isoformat(), browser.cookies["sessionid"].value)
"""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--clients", type=int, default=32)
    parser.add_argument("--seconds", type=float, default=15)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--client-processes", type=int, default=4)
    parser.add_argument("--booking-clients", type=int, default=4, help="bookers during the computed calendar phase")
    parser.add_argument("--day-list-clients", type=int, default=4, help="clerks reading the day list at once")
    parser.add_argument("--day-list-appointments", type=int, default=200)
    parser.add_argument("--places", type=int, default=10, help="places per slot in the seeded month")
    parser.add_argument("--port", type=int, default=0, help="default: a free port")
    parser.add_argument("--database-url", default="postgres://postgres@127.0.0.1:5432/madoguchi_bench")
    parser.add_argument("--cache-url", default="redis://127.0.0.1:6379/3")
    parser.add_argument("--phases", default="trivial,day-list,cached,computed,booking", help="comma-separated")
    args = parser.parse_args()
    if args.clients + args.booking_clients > 999:
        parser.error("at most 999 clients")
    phases = set(args.phases.split(","))

    scratch = Path(f"/tmp/madoguchi-bench-{os.getpid()}")
    # Behind a proxy as docs/deploy.md sets it up, so that per-client limits count each client on its own.
    env = production_env(
        scratch,
        DATABASE_URL=args.database_url,
        CACHE_URL=args.cache_url,
        BEHIND_PROXY="true",
        TRUSTED_PROXY_COUNT="1",
    )
    if args.database_url.startswith("postgres"):
        fresh_postgres(args.database_url)
    for command in (["migrate", "-v0"], ["createcachetable"], ["collectstatic", "--noinput", "-v0"]):
        manage(env, *command)
    manage_shell(env, "from django.core.cache import cache; cache.clear()")
    slots = manage_shell(
        env,
        # The day list's day holds more appointments per slot than --places: enough clerks to serve them.
        staff_the_counter(args.places, clerks=args.day_list_appointments // 8)
        + "from reservations.slots import slots_generate_all\nprint(slots_generate_all())",
    )
    day, session = "", ""
    if "day-list" in phases:
        day, session = manage_shell(env, DAY_LIST_SEED.replace("{count}", str(args.day_list_appointments))).split()
    port = args.port or free_port()
    server = start_gunicorn(port, env, workers=args.workers)
    global SERVER
    SERVER = (server.pid, port)
    results: list[dict] = []
    booking_summary: dict = {}
    seconds, procs = args.seconds, args.client_processes
    try:
        # Warm-up, not recorded: both workers load their templates and open their connections.
        warm = max(2.0, seconds / 5)
        extra = {"day_list_path": f"/staff/day/{day}/", "session": session, "appointments": args.day_list_appointments}
        run_phase(port, [("trivial", 4), ("availability", 4)] + [("day_list", 2)] * bool(day), warm, procs, 0, extra)
        if "trivial" in phases:
            merged = run_phase(port, [("trivial", args.clients)], seconds, procs, 1, {})
            results.append(summary("trivial view", merged, "trivial view"))
        if "day-list" in phases:
            merged = run_phase(port, [("day_list", args.day_list_clients)], seconds, procs, 2, extra)
            results.append(
                summary(
                    "day list",
                    merged,
                    "day list",
                    clients=args.day_list_clients,
                    appointments=args.day_list_appointments,
                )
            )
        if "cached" in phases:
            merged = run_phase(port, [("availability", args.clients)], seconds, procs, 3, {})
            results.append(summary("availability page (cached)", merged, "availability page", hit_rate=True))
        if "computed" in phases or "booking" in phases:
            run_phase(port, [("booking", 4)], warm, procs, 6, {})
        if "computed" in phases:
            works = [("availability", args.clients), ("booking_cancelled", args.booking_clients)]
            merged = run_phase(port, works, seconds, procs, 4, {})
            over, _ = overbooked(env)
            booked = merged["outcomes"].get("booked", 0)
            cancelled = merged["outcomes"].get("cancelled", 0)
            results.append(
                summary(
                    "availability page (computed)",
                    merged,
                    "availability page",
                    hit_rate=True,
                    bookings_per_s=round(booked / merged["elapsed"], 1),
                    cancellations_per_s=round(cancelled / merged["elapsed"], 1),
                    booking_errors=sum(v for k, v in merged["errors"].items() if k.startswith(("booking", "cancel"))),
                    overbooked_slots=over,
                )
            )
        if "booking" in phases:
            merged = run_phase(port, [("booking", args.clients)], seconds, procs, 5, {})
            over, _ = overbooked(env)
            for step in STEPS:
                name = f"booking: {step}"
                results.append(summary(name, merged, name, hit_rate=step == "calendar", overbooked_slots=over))
            booking_summary = {
                "bookings_per_s": round(merged["outcomes"].get("booked", 0) / merged["elapsed"], 1),
                "outcomes": merged["outcomes"],
                "overbooked_slots": over,
            }
    finally:
        stop(server)
    over, booked = overbooked(env)
    print(
        f"gunicorn {args.workers} workers of {gunicorn_threads()} threads (gunicorn.conf.py), {args.clients} clients, "
        f"{args.seconds:.0f} s per phase, "
        f"{slots} slots of {args.places} places, database {urllib.parse.urlparse(args.database_url).scheme}, "
        f"cache {urllib.parse.urlparse(args.cache_url).scheme}"
    )
    print(
        f"{'phase':<32} {'req/s':>8} {'p50 ms':>8} {'p95 ms':>8} {'p99 ms':>8} {'errors':>6} {'hit rate':>8} "
        f"{'conns':>7}  load avg"
    )
    for r in results:
        rate = "" if r.get("hit_rate") is None else f"{r['hit_rate']:.3f}"
        print(
            f"{r['phase']:<32} {r['rps']:>8} {r['p50_ms']:>8} {r['p95_ms']:>8} {r['p99_ms']:>8} {r['errors']:>6} "
            f"{rate:>8} {'/'.join(map(str, r.get('connections_per_worker', []))):>7}  "
            f"{r['load_avg'][0]}→{r['load_avg'][1]}"
        )
    by_name = {r["phase"]: r for r in results}
    ceiling = by_name.get("trivial view", {}).get("rps")
    for name in ("availability page (cached)", "availability page (computed)"):
        if ceiling and name in by_name:
            print(f"{name} / trivial view throughput: {by_name[name]['rps'] / ceiling:.2f}")
    if "availability page (computed)" in by_name:
        computed = by_name["availability page (computed)"]
        print(
            f"during the computed phase {args.booking_clients} more clients booked {computed['bookings_per_s']}/s "
            f"and cancelled {computed['cancellations_per_s']}/s, each cancellation changing the availability"
        )
    if booking_summary:
        print(f"whole bookings: {booking_summary['bookings_per_s']}/s, outcomes {booking_summary['outcomes']}")
    if "day list" in by_name:
        print(f"day list: {args.day_list_appointments} appointments on {day}, {args.day_list_clients} clerks at once")
    print(f"reservations in the database: {booked}; overbooked or miscounted slots: {over}")
    print(json.dumps({"results": results, "overbooked_slots": over, "reservations": booked}, ensure_ascii=False))
    print(
        f"reproduce: python bench/booking.py --clients {args.clients} --seconds {args.seconds:.0f} "
        f"--booking-clients {args.booking_clients} --places {args.places}"
    )


if __name__ == "__main__":
    main()
