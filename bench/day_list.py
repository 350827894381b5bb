"""What the clerk's day list costs inside one process, with production settings (DEBUG off, PostgreSQL, Redis):
time, CPU, SQL queries, cache round trips, session writes, access-log rows and bytes per page, through the whole
middleware stack. No server, no concurrency: the figures say where the time goes and that the number of queries
does not grow with the appointments; bench/booking.py (phase `day list`) measures the page under load.

    python bench/day_list.py                        # 200 appointments, PostgreSQL + Redis
    python bench/day_list.py --appointments 200 --requests 50 \\
        --database-url postgres://postgres@127.0.0.1:5432/madoguchi_bench_day_list --cache-url redis://127.0.0.1:6379/12
    python bench/day_list.py --profile              # cProfile (CPU) of the busy day's page, top 30 functions

The busy day is seeded as bench/booking.py seeds it (staff bookings by phone on one day); the quiet day is the
Saturday after it, without slots, so the difference between the two rows is what the appointments cost.
"""

from __future__ import annotations

import argparse
import contextlib
import cProfile
import io
import pstats
import statistics
import sys
import time
from datetime import date, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _setup import django_in_process


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--appointments", type=int, default=200)
    parser.add_argument("--requests", type=int, default=50, help="timed requests per page, after 5 not timed")
    parser.add_argument("--database-url", default="postgres://postgres@127.0.0.1:5432/madoguchi_bench_day_list")
    parser.add_argument("--cache-url", default="redis://127.0.0.1:6379/12")
    parser.add_argument("--profile", action="store_true", help="print the cProfile of the busy day's page")
    parser.add_argument("--quiet-day", action="store_true", help="profile the quiet day's page instead")
    parser.add_argument("--sort", default="cumulative", help="cProfile order: cumulative or tottime")
    args = parser.parse_args()

    django_in_process(args.database_url, args.cache_url, places=10, clerks=args.appointments // 8)
    from booking import DAY_LIST_SEED
    from booking_steps import Meter
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    from certificates.models import AccessLog

    seeded = io.StringIO()
    with contextlib.redirect_stdout(seeded):
        exec(DAY_LIST_SEED.replace("{count}", str(args.appointments)))
    day, session = seeded.getvalue().split()
    # The Saturday after the busy day: no slots, the same calendar around it.
    quiet = date.fromisoformat(day) + timedelta(days=(5 - date.fromisoformat(day).weekday()) % 7 or 7)
    client = Client()
    client.cookies["sessionid"] = session

    meter = Meter()
    pages = {
        f"busy day ({args.appointments} appointments)": f"/staff/day/{day}/",
        "quiet day (no slots)": f"/staff/day/{quiet}/",
    }
    print(f"the day list in one process, database {connection.vendor}, cache {args.cache_url}")
    print(
        f"{'page':<30} {'median ms':>9} {'cpu ms':>7} {'queries':>8} {'cache':>6} {'session':>8} {'logged':>7} "
        f"{'tmpl ms':>8} {'bytes':>8}"
    )
    for name, path in pages.items():
        for _ in range(5):
            assert client.get(path).status_code == 200
        rows = []
        for _ in range(args.requests):
            meter.reset()
            logged = AccessLog.objects.count()
            with CaptureQueriesContext(connection) as queries:
                start, cpu = time.perf_counter(), time.process_time()
                response = client.get(path)
                elapsed, cpu = time.perf_counter() - start, time.process_time() - cpu
            rows.append(
                (
                    elapsed,
                    cpu,
                    len(queries),
                    meter.cache_calls,
                    meter.session_writes,
                    AccessLog.objects.count() - logged,
                    meter.template_seconds,
                    len(response.content),
                )
            )
        print(
            f"{name:<30} {statistics.median(r[0] for r in rows) * 1000:>9.2f} "
            f"{statistics.median(r[1] for r in rows) * 1000:>7.2f} {max(r[2] for r in rows):>8} "
            f"{max(r[3] for r in rows):>6} {max(r[4] for r in rows):>8} {min(r[5] for r in rows):>7} "
            f"{statistics.median(r[6] for r in rows) * 1000:>8.2f} {rows[-1][7]:>8}"
        )
    print("median ms: wall time; cpu ms: this process's CPU (the database's and Redis's are not in it); queries,")
    print("cache (round trips), session (writes) per request, the most seen; logged: access-log rows per request;")
    print("tmpl ms: template rendering (the rows are written in Python, reservations/day_rows.py, and not in it)")
    if args.profile:
        profiler = cProfile.Profile(time.process_time)
        path = list(pages.values())[1 if args.quiet_day else 0]
        profiler.enable()
        for _ in range(args.requests):
            client.get(path)
        profiler.disable()
        out = io.StringIO()
        pstats.Stats(profiler, stream=out).sort_stats(args.sort).print_stats(30)
        print(out.getvalue())
    print(f"reproduce: python bench/day_list.py --appointments {args.appointments} --requests {args.requests}")


if __name__ == "__main__":
    main()
