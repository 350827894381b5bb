"""Fault drills: what a crash leaves behind. Each prints what happened and exits non-zero if an invariant broke.

    python bench/faults.py qcluster-kill       # kill -9 a qcluster half-way through a batch, restart it
    python bench/faults.py postgres-restart    # restart PostgreSQL during a burst of bookings (needs root)

qcluster-kill: a month of letters is queued on a qcluster (ORM broker, short retry), the cluster is killed with
SIGKILL while the PDF is being rendered, and a new cluster is started. The broker hands the unfinished task out
again; the drill checks that there is one batch, one letter per certificate, and a PDF with the cover and one
page per letter, in postal-code order, each holding its letter's booking code.

postgres-restart: gunicorn serves booking clients on PostgreSQL; half-way through, PostgreSQL is restarted.
Requests fail while it is down; afterwards every slot's count equals its active reservations and every
reservation has its acknowledgements: each booking is complete or absent, never half-written.
"""

from __future__ import annotations

import argparse
import os
import random
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _setup import (
    MANAGE,
    ROOT,
    manage,
    production_env,
    staff_the_counter,
    start_gunicorn,
    stop,
)
from _setup import fresh_postgres as fresh_database
from _setup import manage_shell as shell


def base_env(url: str, scratch: Path) -> dict:
    return production_env(scratch, DATABASE_URL=url, CACHE_URL="dbcache://madoguchi_cache")


def qcluster_kill(args: argparse.Namespace) -> int:
    scratch = Path(f"/tmp/madoguchi-drill-{os.getpid()}")
    # Short timeout and retry so the broker hands the killed task out again within the drill.
    env = {
        **base_env(args.database_url, scratch),
        "Q_TIMEOUT": "50",
        "Q_RETRY": "60",
        "Q_WORKERS": "1",
        "NOTICE_RENDER_PROCESSES": "1",
    }
    fresh_database(args.database_url)
    manage(env, "migrate", "-v0")
    manage(env, "createcachetable")
    month = shell(
        env,
        f"""
from datetime import date
from certificates.models import Certificate, CertificateKind, Resident
from certificates.services import certificate_expiry
kind = CertificateKind.objects.get(is_letter_kind=True)
for i in range({args.letters}):
    r = Resident.objects.create(family_name="訓練", given_name=str(i), family_name_kana="クンレン",
        given_name_kana="テスト", birth_date=date(1980, 1, 1), postal_code=f"{{530 + i % 97:03d}}-{{i:04d}}",
        address="大阪府大阪市北区1-1", phone=f"06{{i:08d}}", phone_digits=f"06{{i:08d}}", case_number=f"Q{{i:06d}}")
    issued = date(2030, 9, 1 + i % 27)
    Certificate.objects.create(resident=r, kind=kind, number=f"Q{{i:08d}}", issued_on=issued,
        expires_on=certificate_expiry(kind=kind, issued_on=issued), photo_taken_on=issued)
print("2031-03")
""",
    )
    shell(env, f"from django_q.tasks import async_task; async_task('notices.tasks.prepare_monthly_batch', '{month}')")
    cluster = subprocess.Popen(
        MANAGE + ["qcluster"],
        env=env,
        cwd=ROOT,
        start_new_session=True,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 120
    state = ""
    while time.monotonic() < deadline:
        state = shell(
            env,
            "from notices.models import NoticeBatch as B; b = B.objects.first();"
            "print(b.status if b else '-', bool(b and b.render_claimed_at), b.letters.count() if b else 0)",
        )
        if state.startswith("preparing True"):
            break
        time.sleep(0.3)
    time.sleep(1.0)  # let the renderers get going
    os.killpg(cluster.pid, signal.SIGKILL)
    cluster.wait()
    print(f"killed the qcluster while rendering (status, rendering, letters): {state}")
    after_kill = shell(env, "from notices.models import NoticeBatch as B; print(B.objects.first().status)")
    print(f"batch after the kill: {after_kill}")
    started = time.monotonic()
    log = open(scratch / "qcluster-restarted.log", "w")  # closed with the drill
    cluster = subprocess.Popen(
        MANAGE + ["qcluster"],
        env={**env, "LOG_LEVEL": "INFO"},
        cwd=ROOT,
        start_new_session=True,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    try:
        deadline = time.monotonic() + 240
        while time.monotonic() < deadline:
            if (
                shell(
                    env,
                    "from notices.models import NoticeBatch as B; print(B.objects.filter(status='prepared').exists())",
                )
                == "True"
            ):
                break
            time.sleep(2)
        finished = time.monotonic() - started
    finally:
        stop(cluster, grace=60)
        log.close()
    print(f"the restarted cluster finished the batch within {finished:.0f} s (the broker re-delivers after Q_RETRY)")
    verdict = shell(
        env,
        """
from pathlib import Path
from django.conf import settings
from pypdf import PdfReader
from certificates.models import Certificate
from notices.models import Letter, NoticeBatch
batches = NoticeBatch.objects.count()
batch = NoticeBatch.objects.get()
letters = list(Letter.objects.filter(batch=batch).select_related("invitation").order_by("postal_code", "pk"))
reader = PdfReader(Path(settings.MEDIA_ROOT) / batch.pdf_path)
pages = len(reader.pages)
in_order = all(l.invitation.display_code in reader.pages[i + 1].extract_text() for i, l in enumerate(letters))
one_each = Letter.objects.values("certificate").distinct().count() == Certificate.objects.count() == len(letters)
print(batches, batch.status, len(letters), pages, in_order, one_each)
""",
    )
    batches, status, letters, pages, in_order, one_each = verdict.split()
    print(
        f"batches: {batches}, status: {status}, letters: {letters}, PDF pages: {pages} (cover + letters), "
        f"each page holds its letter's code in postal order: {in_order}, one letter per certificate: {one_each}"
    )
    ok = batches == "1" and status == "prepared" and int(pages) == int(letters) + 1 == args.letters + 1
    ok = ok and in_order == "True" and one_each == "True"
    print("qcluster-kill drill:", "PASSED" if ok else "FAILED")
    print(f"reproduce: python bench/faults.py qcluster-kill --letters {args.letters}")
    return 0 if ok else 1


def postgres_restart(args: argparse.Namespace) -> int:
    from booking import Client, Recorder, booking, free_port

    scratch = Path(f"/tmp/madoguchi-drill-{os.getpid()}")
    env = base_env(args.database_url, scratch)
    fresh_database(args.database_url)
    for command in (["migrate", "-v0"], ["createcachetable"], ["collectstatic", "--noinput", "-v0"]):
        manage(env, *command)
    shell(env, staff_the_counter(2) + "from reservations.slots import slots_generate_all\nslots_generate_all()")
    port = free_port()
    server = start_gunicorn(port, env, quiet=True)
    recorder = Recorder()  # the outcomes of whole bookings: booked, full, slot-taken...
    deadline = time.monotonic() + args.seconds
    try:

        def loop(index: int) -> None:
            rng = random.Random(index)
            client = Client(port)
            while time.monotonic() < deadline:
                try:
                    booking(client, recorder, rng, f"7{index:03d}")
                except Exception:  # requests fail while the database is down
                    recorder.outcome("failed request")
                    client = Client(port)
                    time.sleep(0.05)

        threads = [threading.Thread(target=loop, args=(i,)) for i in range(args.clients)]
        for t in threads:
            t.start()
        time.sleep(args.seconds / 2)
        version = sorted(os.listdir("/etc/postgresql"))[0]
        print(f"restarting PostgreSQL {version} during the burst")
        subprocess.run(["pg_ctlcluster", "--skip-systemctl-redirect", version, "main", "restart"], check=True)
        for t in threads:
            t.join()
    finally:
        stop(server)
    verdict = shell(
        env,
        """
from django.db.models import Count, F, Q
from reservations.models import Reservation, Slot
active = Q(reservations__status__in=["booked", "arrived"])
bad_slots = Slot.objects.annotate(n=Count("reservations", filter=active)).exclude(n=F("booked")).count()
half = Reservation.objects.annotate(a=Count("acknowledgements")).filter(a=0).count()
print(Reservation.objects.count(), bad_slots, half)
""",
    )
    reservations, bad_slots, half = verdict.split()
    print(f"outcomes: {recorder.outcomes}")
    print(
        f"reservations: {reservations}; slots whose count differs from their reservations: {bad_slots}; "
        f"reservations without their acknowledgements: {half}"
    )
    ok = bad_slots == "0" and half == "0" and int(reservations) > 0
    print("postgres-restart drill:", "PASSED" if ok else "FAILED")
    print(f"reproduce: python bench/faults.py postgres-restart --seconds {args.seconds:.0f}")
    return 0 if ok else 1


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("drill", choices=["qcluster-kill", "postgres-restart"])
    parser.add_argument("--database-url", default="postgres://postgres@127.0.0.1:5432/madoguchi_drill")
    parser.add_argument("--letters", type=int, default=400)
    parser.add_argument("--seconds", type=float, default=20)
    parser.add_argument("--clients", type=int, default=8)
    args = parser.parse_args()
    return qcluster_kill(args) if args.drill == "qcluster-kill" else postgres_restart(args)


if __name__ == "__main__":
    sys.exit(main())
