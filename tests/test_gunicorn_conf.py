"""The web server's settings come from gunicorn.conf.py, found in the project's directory by gunicorn itself (the
README's and docs/deploy.md's command names no option); its worker hook shortens the switch interval and freezes
what the worker has loaded."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

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
    assert (settings["workers"], settings["worker_class"], settings["threads"]) == ("2", "gthread", "4")


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
