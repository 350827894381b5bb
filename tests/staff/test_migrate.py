"""`migrate` alone leaves a working product: the cache table comes with it, and nothing the product counts on
lives in a cache that may evict it."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.cache import cache
from django.core.management import call_command
from django.db import connection

TABLE = "madoguchi_test_cache"


@pytest.fixture
def database_cache(settings):
    """The production default: Django's database cache, culling a third of its rows past MAX_ENTRIES."""
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.db.DatabaseCache",
            "LOCATION": TABLE,
            "OPTIONS": {"MAX_ENTRIES": 300},
        }
    }
    yield
    with connection.cursor() as cursor:
        cursor.execute(f"DROP TABLE IF EXISTS {TABLE}")


@pytest.mark.django_db(transaction=True)
def test_migrate_creates_the_database_cache_table(database_cache) -> None:
    assert TABLE not in connection.introspection.table_names()
    call_command("migrate", verbosity=0)
    assert TABLE in connection.introspection.table_names()
    cache.set("k", "v")
    assert cache.get("k") == "v"


def test_migrate_then_seed_demo_on_a_fresh_database_serves_the_pages(tmp_path: Path) -> None:
    """What `make run` does, on an empty SQLite file and the default settings (database cache included)."""
    root = Path(__file__).resolve().parents[2]
    env = {k: v for k, v in os.environ.items() if k not in ("DJANGO_SETTINGS_MODULE", "TEST_DATABASE_URL")}
    env.update(
        DEBUG="true",
        DJANGO_SETTINGS_MODULE="config.settings",
        DATABASE_URL=f"sqlite:///{tmp_path / 'fresh.sqlite3'}",
        MEDIA_ROOT=str(tmp_path / "media"),
        CACHE_URL="dbcache://madoguchi_cache",
    )

    def manage(*args: str) -> subprocess.CompletedProcess:
        return subprocess.run(
            [sys.executable, "manage.py", *args], cwd=root, env=env, capture_output=True, text=True, check=False
        )

    for step in (("migrate", "--noinput"), ("seed_demo",)):
        result = manage(*step)
        assert result.returncode == 0, result.stderr
    page = (
        "from django.test import Client; c = Client(HTTP_HOST='127.0.0.1'); "
        "r = c.get('/book/p/jr-pass/'); assert r.status_code == 200, r.status_code; "
        "r = c.post('/reservation/', {'number': 'AAAAAAAA', 'phone': '0900000000'}); "
        "assert r.status_code in (200, 404), r.status_code; print('ok')"
    )
    result = manage("shell", "-c", page)
    assert result.returncode == 0 and "ok" in result.stdout, result.stderr
