"""The morning after the letters arrive: residents book within a few minutes while clerks reload the day list.

    python bench/load.py                          # 200 residents over 300 s
    python bench/load.py --residents 60 --seconds 60

Two gunicorn instances and two qclusters on one PostgreSQL, Redis as the django-q2 broker and the cache, all on
127.0.0.1. While residents book (each one whole flow, arrivals spread over --seconds), clerks reload the day
list every two seconds, and the month's letters are prepared by two jobs queued at once (one per cluster, if
they take one each). Bounded in time: the run stops at --seconds plus a grace period. Prints throughput, p95,
errors, overbookings (must be 0) and duplicate letters (must be 0).
"""

from __future__ import annotations

import argparse
import json
import os
import random
import subprocess
import sys
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _setup import (
    MANAGE,
    OVERBOOKED_SLOTS,
    ROOT,
    fresh_postgres,
    manage,
    manage_shell,
    production_env,
    staff_the_counter,
    start_gunicorn,
)
from _setup import stop as stop_process
from booking import CSRF_RE, Client, booking, free_port, percentile


def clerk_loop(port: int, stop: float, day: str, latencies: list[float], errors: list[int], lock) -> None:
    client = Client(port)
    status, _, text = client.request("GET", "/accounts/login/")
    token = CSRF_RE.search(text).group(1)
    client.request(
        "POST",
        "/accounts/login/",
        {"csrfmiddlewaretoken": token, "username": "load-clerk", "password": "load-clerk-password"},
    )
    while time.monotonic() < stop:
        start = time.perf_counter()
        try:
            status, _, text = client.request("GET", f"/staff/day/{day}/")
            ok = status == 200 and "予約一覧" in text
        except OSError:
            ok = False
        with lock:
            if ok:
                latencies.append(time.perf_counter() - start)
            else:
                errors[0] += 1
        time.sleep(2)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--residents", type=int, default=200)
    parser.add_argument("--seconds", type=float, default=300)
    parser.add_argument("--clerks", type=int, default=3)
    parser.add_argument("--letters", type=int, default=300, help="residents due for the month's letters")
    parser.add_argument("--database-url", default="postgres://postgres@127.0.0.1:5432/madoguchi_load")
    parser.add_argument("--redis", default="redis://127.0.0.1:6379")
    args = parser.parse_args()

    scratch = Path(f"/tmp/madoguchi-load-{os.getpid()}")
    env = production_env(
        scratch,
        DATABASE_URL=args.database_url,
        CACHE_URL=f"{args.redis}/4",
        Q_REDIS_URL=f"{args.redis}/5",
        Q_WORKERS="1",
    )
    import redis

    fresh_postgres(args.database_url)
    for index in (4, 5):
        redis.Redis.from_url(f"{args.redis}/{index}").flushdb()
    for command in (["migrate", "-v0"], ["collectstatic", "--noinput", "-v0"]):
        manage(env, *command)
    seed = f"""
from datetime import date, timedelta
from django.contrib.auth.models import Group, User
from django.utils import timezone
from certificates.models import Certificate, CertificateKind, Resident
from certificates.services import certificate_expiry
from notices.services import default_target_month
from reservations.slots import slots_generate_all
from reservations import calendar
{staff_the_counter(2)}
slots_generate_all()
clerk = User.objects.create_user("load-clerk", password="load-clerk-password")
clerk.groups.add(Group.objects.get(name="clerk"))
kind = CertificateKind.objects.get(is_letter_kind=True)
month = default_target_month(timezone.localdate())
for i in range({args.letters}):
    r = Resident.objects.create(family_name="負荷", given_name=str(i), family_name_kana="フカ",
        given_name_kana="テスト", birth_date=date(1980, 1, 1), postal_code=f"530-{{i:04d}}",
        address="大阪府大阪市北区1-1", phone=f"06{{i:08d}}",
        phone_digits=f"06{{i:08d}}", case_number=f"L{{i:06d}}")
    issued = date(month.year - (month.month <= 6), (month.month - 7) % 12 + 1, 1 + i % 27)
    Certificate.objects.create(resident=r, kind=kind, number=f"L{{i:08d}}", issued_on=issued,
        expires_on=certificate_expiry(kind=kind, issued_on=issued), photo_taken_on=issued)
first = calendar.next_office_day(timezone.localdate())
print(calendar.next_office_day(first).isoformat(), month.isoformat())
"""
    day, month = manage_shell(env, seed).split()
    ports = [free_port(), free_port()]
    processes = [start_gunicorn(port, env) for port in ports] + [
        subprocess.Popen(
            MANAGE + ["qcluster"],
            env=env,
            cwd=ROOT,
            start_new_session=True,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        for _ in range(2)
    ]
    try:
        queue_letters = (
            "from django_q.tasks import async_task;"
            f"[async_task('notices.tasks.prepare_monthly_batch', '{month[:7]}') for _ in range(2)]"
        )
        manage_shell(env, queue_letters)

        lock = threading.Lock()
        booking_latencies: list[float] = []
        outcomes: dict[str, int] = {}
        errors = [0]
        clerk_latencies: list[float] = []
        clerk_errors = [0]
        started = time.monotonic()
        stop = started + args.seconds
        rng = random.Random(7)
        arrivals = sorted(rng.uniform(0, args.seconds * 0.9) for _ in range(args.residents))

        def resident(index: int, at: float) -> None:
            time.sleep(max(0.0, started + at - time.monotonic()))
            client = Client(ports[index % 2])
            try:
                latency, outcome = booking(client, random.Random(index), 500 + index)
            except Exception:
                with lock:
                    errors[0] += 1
                return
            with lock:
                outcomes[outcome] = outcomes.get(outcome, 0) + 1
                if outcome in ("booked", "full"):
                    booking_latencies.append(latency)

        threads = [threading.Thread(target=resident, args=(i, at)) for i, at in enumerate(arrivals)]
        threads += [
            threading.Thread(target=clerk_loop, args=(ports[i % 2], stop, day, clerk_latencies, clerk_errors, lock))
            for i in range(args.clerks)
        ]
        for t in threads:
            t.start()
        for t in threads:
            t.join(timeout=max(1.0, stop + 120 - time.monotonic()))
        elapsed = time.monotonic() - started
        # Give the letter jobs the rest of the grace period to finish.
        check = OVERBOOKED_SLOTS + (
            "import time\n"
            "from notices.models import Letter, NoticeBatch\n"
            "from reservations.models import Reservation\n"
            "deadline = time.monotonic() + 180\n"
            "while time.monotonic() < deadline and not NoticeBatch.objects.filter(status='prepared').exists():\n"
            "    time.sleep(2)\n"
            "letters = Letter.objects.count()\n"
            "dup = letters - Letter.objects.values('certificate').distinct().count()\n"
            "batches = NoticeBatch.objects.count()\n"
            "prepared = NoticeBatch.objects.filter(status='prepared').values_list('letter_count', flat=True).first()\n"
            "print(overbooked, Reservation.objects.count(), letters, dup, batches, prepared)\n"
        )
        over, reservations, letters, duplicates, batches, prepared = manage_shell(env, check).split()
    finally:
        for process in processes:
            stop_process(process)

    summary = {
        "residents": args.residents,
        "seconds": round(elapsed, 1),
        "bookings_per_minute": round(outcomes.get("booked", 0) * 60 / elapsed, 1),
        "booking_p50_ms": round(percentile(booking_latencies, 50) * 1000, 1),
        "booking_p95_ms": round(percentile(booking_latencies, 95) * 1000, 1),
        "outcomes": outcomes,
        "errors": errors[0],
        "day_list_loads": len(clerk_latencies),
        "day_list_p95_ms": round(percentile(clerk_latencies, 95) * 1000, 1),
        "day_list_errors": clerk_errors[0],
        "reservations": int(reservations),
        "overbooked_slots": int(over),
        "letters": int(letters),
        "duplicate_letters": int(duplicates),
        "batches": int(batches),
        "batch_letter_count": None if prepared == "None" else int(prepared),
    }
    print(f"{args.residents} residents over {args.seconds:.0f} s on 2 gunicorn + 2 qclusters, PostgreSQL, Redis")
    print(
        f"bookings: {outcomes.get('booked', 0)} ({summary['bookings_per_minute']}/min), confirm p50 "
        f"{summary['booking_p50_ms']} ms, p95 {summary['booking_p95_ms']} ms, errors {errors[0]}, {outcomes}"
    )
    print(f"day list: {len(clerk_latencies)} loads, p95 {summary['day_list_p95_ms']} ms, errors {clerk_errors[0]}")
    print(f"overbooked slots: {over}; letters: {letters} in {batches} batch(es), duplicate letters: {duplicates}")
    print(json.dumps(summary, ensure_ascii=False))
    print(f"reproduce: python bench/load.py --residents {args.residents} --seconds {args.seconds:.0f}")


if __name__ == "__main__":
    main()
