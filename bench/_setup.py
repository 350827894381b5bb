"""Shared set-up for the benchmarks: a throw-away database and Django configured for it."""

from __future__ import annotations

import os
import sys
import tempfile
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
