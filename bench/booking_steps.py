"""What each step of a booking costs inside one process: time, SQL queries, cache round trips, session writes,
template rendering. No server, no concurrency: the figures say where the time goes, not how fast it is under
load (bench/booking.py measures that).

    python bench/booking_steps.py                       # PostgreSQL + Redis, 200 bookings
    python bench/booking_steps.py --bookings 200 --database-url postgres://postgres@127.0.0.1:5432/steps \\
        --cache-url redis://127.0.0.1:6379/11
    python bench/booking_steps.py --profile "booking: confirm POST"   # cProfile of one step, top 30 functions

Each booking walks the resident's path with Django's test client: calendar, times (GET, POST),
acknowledgements (GET, POST), details (GET, POST), confirm (GET, POST), done (the reservation page). The
calendar is read right after its availability version was raised, as a cancellation or a booking that takes a day's
last place raises it, so it is computed, not cached (a booking that leaves places on its day does not change it).
"""

from __future__ import annotations

import argparse
import cProfile
import io
import pstats
import re
import statistics
import sys
import time
from collections import defaultdict
from pathlib import Path
from urllib.parse import urlencode

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _setup import django_in_process

CSRF_RE = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')
DAY_RE = re.compile(r'href="/book/p/jr-pass/(\d{4}-\d{2}-\d{2})/"')
SLOT_RE = re.compile(r'name="slot" value="(\d+)"')
ACK_RE = re.compile(r'name="(ack_\d+)"')


class Meter:
    """Counts cache round trips, session writes and template rendering time while it is switched on."""

    # Django's database cache: each of these is one or more queries (counted as one). Redis: every command
    # that reaches the server (redis-py's execute_command, and a pipeline as one), so that a counter this
    # process answers from what it has heard (config.cache.CounterWatch) costs nothing here, as on the server.
    CACHE_METHODS = (
        "get",
        "set",
        "add",
        "incr",
        "delete",
        "get_many",
        "set_many",
        "delete_many",
        "touch",
        "has_key",
    )

    def __init__(self) -> None:
        self.cache_calls = 0
        self.session_writes = 0
        self.template_seconds = 0.0
        self._depth = 0
        self._saving = 0
        self._install()

    def reset(self) -> None:
        self.cache_calls = 0
        self.session_writes = 0
        self.template_seconds = 0.0

    def _install(self) -> None:
        import redis
        from django.core.cache.backends import db as db_cache
        from django.template.backends import django as django_backend

        meter = self
        wrapped_methods = [(db_cache.DatabaseCache, name) for name in self.CACHE_METHODS]
        wrapped_methods += [(redis.Redis, "execute_command"), (redis.client.Pipeline, "execute")]
        for cls, name in wrapped_methods:
            original = cls.__dict__.get(name)
            if original is None or getattr(original, "_metered", False):
                continue

            def wrapped(*args, __original=original, **kwargs):
                meter.cache_calls += 1
                return __original(*args, **kwargs)

            wrapped._metered = True  # type: ignore[attr-defined]
            setattr(cls, name, wrapped)

        from django.contrib.sessions.backends import cached_db, db, signed_cookies

        for cls in (db.SessionStore, cached_db.SessionStore, signed_cookies.SessionStore):
            save = cls.__dict__.get("save")
            if save is None:
                continue

            def counted_save(self, *args, __save=save, **kwargs):
                # cached_db's save calls db's: count the outermost call only.
                meter._saving += 1
                try:
                    return __save(self, *args, **kwargs)
                finally:
                    meter._saving -= 1
                    if meter._saving == 0:
                        meter.session_writes += 1

            cls.save = counted_save

        render = django_backend.Template.render

        def timed_render(self, *args, **kwargs):
            meter._depth += 1
            start = time.perf_counter()
            try:
                return render(self, *args, **kwargs)
            finally:
                meter._depth -= 1
                if meter._depth == 0:
                    meter.template_seconds += time.perf_counter() - start

        django_backend.Template.render = timed_render


AREAS = (
    ("django templates", "/django/template"),
    ("django ORM and database", "/django/db/"),
    ("psycopg", "/psycopg/"),
    ("translation", "/django/utils/translation/"),
    ("forms", "/django/forms/"),
    ("django middleware and handlers", "/django/middleware/"),
    ("django sessions, auth, messages, OTP", ("/django/contrib/", "/django_otp/")),
    ("redis client", "/redis/"),
    ("cryptography", "/cryptography/"),
    ("django other", "/django/"),
    ("this project", ("/reservations/", "/staff/", "/config/", "/certificates/", "/notices/")),
)


def by_area(stats: pstats.Stats) -> str:
    """Own CPU time (tottime) summed by where the function lives: which layer the time goes to."""
    totals: dict[str, float] = defaultdict(float)
    for (filename, _line, _name), (_cc, _nc, tottime, _ct, _callers) in stats.stats.items():  # type: ignore[attr-defined]
        for area, needles in AREAS:
            if any(needle in filename for needle in ((needles,) if isinstance(needles, str) else needles)):
                totals[area] += tottime
                break
        else:
            totals["other (Python, builtins)"] += tottime
    whole = sum(totals.values()) or 1.0
    lines = ["own time by area (the profiler slows everything; read the shares):"]
    for area, seconds in sorted(totals.items(), key=lambda item: -item[1]):
        lines.append(f"  {area:<40} {seconds / whole:6.1%}")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--bookings", type=int, default=200)
    parser.add_argument("--places", type=int, default=2)
    parser.add_argument("--database-url", default="postgres://postgres@127.0.0.1:5432/madoguchi_bench_steps")
    parser.add_argument("--cache-url", default="redis://127.0.0.1:6379/11")
    parser.add_argument("--profile", default="", help="a step name, or all: print its cProfile (top 40)")
    parser.add_argument("--sort", default="tottime", help="cProfile order: tottime or cumulative")
    parser.add_argument("--sql", default="", help="a step name: print the SQL of its last request")
    args = parser.parse_args()

    django_in_process(args.database_url, args.cache_url, places=args.places)
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    from reservations import availability
    from reservations.models import Procedure

    procedure_id = Procedure.objects.get(slug="jr-pass").pk

    meter = Meter()
    rows: dict[str, list[tuple[float, float, int, int, int, float]]] = defaultdict(list)
    profiler = cProfile.Profile(time.process_time) if args.profile else None  # CPU, not waiting

    def step(name: str, client: Client, method: str, path: str, data: dict | None = None):
        meter.reset()
        with CaptureQueriesContext(connection) as queries:
            if profiler is not None and args.profile in (name, "all"):
                profiler.enable()
            start, cpu = time.perf_counter(), time.process_time()
            response = (
                client.get(path)
                if method == "GET"
                else client.post(path, urlencode(data or {}), content_type="application/x-www-form-urlencoded")
            )
            elapsed, cpu = time.perf_counter() - start, time.process_time() - cpu
            if profiler is not None and args.profile in (name, "all"):
                profiler.disable()
        if name == args.sql:
            last_sql[:] = [q["sql"] for q in queries.captured_queries]
        rows[name].append((elapsed, cpu, len(queries), meter.cache_calls, meter.session_writes, meter.template_seconds))
        return response

    last_sql: list[str] = []
    booked = 0
    # One client, its cookies cleared before each booking: a new resident each time, while the handler and its
    # middleware are loaded once, as in a server process.
    client = Client()
    for n in range(args.bookings):
        client.cookies.clear()
        # The ceiling: a view that touches neither the database nor the session.
        step("trivial view", client, "GET", "/healthz")
        availability.bump(procedure_id)  # the month must be made again: what this step measures
        r = step("booking: calendar", client, "GET", "/book/p/jr-pass/")
        # The same month again, nothing booked in between: the availability from the cache, for the same
        # visitor (their booking cookie now names the procedure, as for the load benchmark's visitors).
        step("calendar again (cached)", client, "GET", "/book/p/jr-pass/")
        days = DAY_RE.findall(r.content.decode())
        if not days:
            nxt = re.search(r'href="\?month=(\d{4}-\d{2})"', r.content.decode())
            r = client.get(f"/book/p/jr-pass/?month={nxt.group(1)}")
            days = DAY_RE.findall(r.content.decode())
        day = days[n % len(days)]
        r = step("booking: times", client, "GET", f"/book/p/jr-pass/{day}/")
        slots = SLOT_RE.findall(r.content.decode())
        if not slots:
            continue
        r = step("booking: times POST", client, "POST", f"/book/p/jr-pass/{day}/", {"slot": slots[n % len(slots)]})
        if r.status_code != 302 or r["Location"] != "/book/acknowledgements/":
            continue
        r = step("booking: acknowledgements", client, "GET", "/book/acknowledgements/")
        acks = {name: "on" for name in ACK_RE.findall(r.content.decode())}
        step("booking: acknowledgements POST", client, "POST", "/book/acknowledgements/", acks)
        step("booking: details", client, "GET", "/book/details/")
        contact = {
            "family_name": "負荷",
            "given_name": "太郎",
            "family_name_kana": "フカ",
            "given_name_kana": "タロウ",
            "phone": f"090{n:08d}",
            "email": "",
        }
        step("booking: details POST", client, "POST", "/book/details/", contact)
        step("booking: confirm", client, "GET", "/book/confirm/")
        r = step("booking: confirm POST", client, "POST", "/book/confirm/")
        if r.status_code == 302 and r["Location"].startswith("/reservation/"):
            booked += 1
            step("booking: done", client, "GET", r["Location"])

    print(f"{booked} bookings of {args.bookings}, in one process, database {connection.vendor}, cache {args.cache_url}")
    print(
        f"{'step':<32} {'median ms':>9} {'p95 ms':>7} {'cpu ms':>7} {'queries':>8} {'cache':>6} {'session':>8} "
        f"{'tmpl ms':>8}"
    )
    for name, values in rows.items():
        times = sorted(v[0] for v in values)
        print(
            f"{name:<32} {statistics.median(times) * 1000:>9.2f} {times[int(0.95 * (len(times) - 1))] * 1000:>7.2f} "
            f"{statistics.median(v[1] for v in values) * 1000:>7.2f} {statistics.mean(v[2] for v in values):>8.1f} "
            f"{statistics.mean(v[3] for v in values):>6.1f} {statistics.mean(v[4] for v in values):>8.2f} "
            f"{statistics.median(v[5] for v in values) * 1000:>8.2f}"
        )
    print("median ms: wall time; cpu ms: this process's CPU (the database's and Redis's are not in it);")
    print("queries, cache (round trips) and session (writes) are means per request; tmpl ms: template rendering")
    if args.sql:
        print(f"SQL of the last '{args.sql}':")
        for sql in last_sql:
            print("   ", sql[:300])
    if profiler is not None:
        out = io.StringIO()
        stats = pstats.Stats(profiler, stream=out)
        stats.sort_stats(args.sort).print_stats(40)
        print(out.getvalue())
        print(by_area(stats))
    print(f"reproduce: python bench/booking_steps.py --bookings {args.bookings}")


if __name__ == "__main__":
    main()
