"""Shared set-up for the benchmarks: a throw-away database and Django configured for it."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def django_on(database_url: str | None = None, media_root: str | None = None) -> Path:
    """Configure Django for a benchmark run; returns the scratch directory."""
    scratch = Path(tempfile.mkdtemp(prefix="madoguchi-bench-"))
    sys.path.insert(0, str(ROOT))
    os.environ.setdefault("DEBUG", "true")
    os.environ["DATABASE_URL"] = database_url or f"sqlite:///{scratch / 'bench.sqlite3'}"
    os.environ["MEDIA_ROOT"] = media_root or str(scratch / "media")
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    call_command("createcachetable", verbosity=0)
    return scratch


# --- servers for the load benchmarks and drills ----------------------------------------------------------

MANAGE = [sys.executable, str(ROOT / "manage.py")]
OVERBOOKED_SLOTS = (
    "from django.db.models import Count, F, Q\n"
    "from reservations.models import Slot\n"
    "active = Q(reservations__status__in=['booked', 'arrived'])\n"
    "overbooked = Slot.objects.annotate(n=Count('reservations', filter=active))"
    ".filter(Q(n__gt=F('places')) | Q(booked__gt=F('places')) | ~Q(n=F('booked'))).count()\n"
)


def staff_the_counter(places: int, clerks: int | None = None) -> str:
    """Code for `manage.py shell -c` (or exec) that puts `clerks` (default `places`) qualified clerks at the
    counter every day and lets each slot take `places` bookings: places follow the duty rota, so a benchmark
    needs one."""
    clerks = max(places, clerks or 0)
    return (
        "from datetime import time\n"
        "from django.contrib.auth.models import Group, User\n"
        "from reservations.models import DutyPattern, OpeningHours, Procedure, Qualification\n"
        f"OpeningHours.objects.update(places={places})\n"
        f"Procedure.objects.update(places_per_slot={places})\n"
        "clerk_group = Group.objects.get(name='clerk')\n"
        f"for index in range({clerks}):\n"
        "    user, _ = User.objects.get_or_create(username=f'bench-clerk-{index}')\n"
        "    user.groups.add(clerk_group)\n"
        "    for procedure in Procedure.objects.all():\n"
        "        Qualification.objects.get_or_create(user=user, procedure=procedure)\n"
        "    for weekday in range(7):\n"
        "        DutyPattern.objects.get_or_create(user=user, weekday=weekday, start=time(8, 0), end=time(18, 0))\n"
    )


def fresh_postgres(url: str) -> None:
    """Drop and create the database `url` names (a scratch database on the local server)."""
    import urllib.parse

    import psycopg

    db = urllib.parse.urlparse(url)
    with psycopg.connect(db._replace(path="/postgres").geturl(), autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{db.path.lstrip("/")}"')
        conn.execute(f'CREATE DATABASE "{db.path.lstrip("/")}"')


def production_env(scratch: Path, **overrides: str) -> dict[str, str]:
    """Production settings (DEBUG off) on 127.0.0.1 over plain HTTP, rate limits out of the way of the load."""
    return {
        **os.environ,
        "DEBUG": "false",
        "SECRET_KEY": "benchmark-only",
        "ALLOWED_HOSTS": "127.0.0.1",
        "SITE_URL": "http://127.0.0.1",
        "EMAIL_URL": "dummymail://",
        "SECURE_SSL_REDIRECT": "false",
        "SECURE_COOKIES": "false",
        "SECURE_HSTS_SECONDS": "0",
        "STATIC_ROOT": str(scratch / "static"),
        "MEDIA_ROOT": str(scratch / "media"),
        "PUBLIC_POST_RATE": "1000000/1m",
        "BOOKING_LOOKUP_RATE": "1000000/1m",
        "BOOKING_BURST_RATE": "1000000/1m",
        "LOG_LEVEL": "WARNING",
        "DJANGO_SETTINGS_MODULE": "config.settings",
        "PYTHONPATH": str(ROOT),
        **overrides,
    }


def django_in_process(database_url: str, cache_url: str, *, places: int, clerks: int | None = None) -> None:
    """Production settings in this process (Django's test client calls the views, as `testserver`): a fresh
    database with the counter staffed (`staff_the_counter`) and a month of slots, and an empty cache."""
    scratch = Path(tempfile.mkdtemp(prefix="madoguchi-bench-"))
    (scratch / "static").mkdir()
    sys.path.insert(0, str(ROOT))
    os.environ.update(
        production_env(
            scratch,
            ALLOWED_HOSTS="testserver",
            SITE_URL="http://testserver",
            DATABASE_URL=database_url,
            CACHE_URL=cache_url,
        )
    )
    if database_url.startswith("postgres"):
        fresh_postgres(database_url)
    import django

    django.setup()
    from django.core.cache import cache
    from django.core.management import call_command

    # Static files as in production: hashed names from the manifest, which `{% static %}` reads on every page.
    call_command("collectstatic", interactive=False, verbosity=0)
    call_command("migrate", verbosity=0)
    call_command("createcachetable", verbosity=0)
    cache.clear()
    from reservations.slots import slots_generate_all

    exec(staff_the_counter(places, clerks=clerks))
    slots_generate_all()


def manage(env: dict[str, str], *args: str) -> None:
    subprocess.run(MANAGE + list(args), env=env, check=True, cwd=ROOT)


def manage_shell(env: dict[str, str], code: str) -> str:
    done = subprocess.run(MANAGE + ["shell", "-v0", "-c", code], env=env, cwd=ROOT, capture_output=True, text=True)
    if done.returncode:
        sys.exit(f"the set-up failed:\n{done.stderr}")
    return done.stdout.strip()


def start_gunicorn(port: int, env: dict[str, str], *, workers: int = 2, quiet: bool = False) -> subprocess.Popen:
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "gunicorn",
            "config.wsgi",
            "--bind",
            f"127.0.0.1:{port}",
            "--config",
            str(ROOT / "gunicorn.conf.py"),  # the worker class, threads and switch interval of production
            "--workers",
            str(workers),
            "--log-level",
            "critical" if quiet else "warning",
        ],
        env=env,
        cwd=ROOT,
        start_new_session=True,
        stderr=subprocess.DEVNULL if quiet else None,
    )
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1):
                return process
        except OSError:
            time.sleep(0.2)
    return process


def stop(process: subprocess.Popen, *, grace: float = 30) -> None:
    """SIGTERM the process group, SIGKILL it if it has not ended within `grace` seconds."""
    try:
        os.killpg(process.pid, signal.SIGTERM)
        process.wait(timeout=grace)
    except ProcessLookupError:
        pass
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait()
