import pytest
from django.db import connection


@pytest.mark.django_db
def test_sqlite_runs_in_wal_mode_with_immediate_transactions_and_a_busy_timeout() -> None:
    if connection.vendor != "sqlite":
        pytest.skip("SQLite only")
    with connection.cursor() as cursor:
        cursor.execute("PRAGMA journal_mode")
        assert cursor.fetchone()[0] == "wal"
        cursor.execute("PRAGMA busy_timeout")
        assert cursor.fetchone()[0] >= 5000
    assert connection.settings_dict["OPTIONS"]["transaction_mode"] == "IMMEDIATE"


PRODUCTION_VARIABLES = (
    "SECRET_KEY",
    "ALLOWED_HOSTS",
    "SITE_URL",
    "EMAIL_URL",
    "EMAIL_ALLOW_CONSOLE",
    "DJANGO_SETTINGS_MODULE",
    "SECURE_SSL_REDIRECT",
    "SECURE_COOKIES",
)


def _start_production(env: dict[str, str], code: str = "import django; django.setup()"):
    import subprocess
    import sys

    return subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, check=False)


def _production_env(**values: str) -> dict[str, str]:
    import os

    env = {k: v for k, v in os.environ.items() if k not in PRODUCTION_VARIABLES}
    env.update(DEBUG="false", DJANGO_SETTINGS_MODULE="config.settings", **values)
    return env


def test_production_settings_refuse_to_start_without_secret_key_and_hosts() -> None:
    env = _production_env(SITE_URL="https://madoguchi.example.lg.jp", EMAIL_URL="smtp://mail.example.lg.jp:25")
    result = _start_production(env)
    assert result.returncode != 0 and "SECRET_KEY must be set" in result.stderr
    env["SECRET_KEY"] = "x" * 50
    result = _start_production(env)
    assert result.returncode != 0 and "ALLOWED_HOSTS must be set" in result.stderr
    env["ALLOWED_HOSTS"] = "madoguchi.example.lg.jp"
    result = _start_production(env)
    assert result.returncode == 0, result.stderr


def test_production_settings_refuse_to_start_without_the_public_address() -> None:
    env = _production_env(SECRET_KEY="x" * 50, ALLOWED_HOSTS="madoguchi.example.lg.jp", EMAIL_URL="smtp://m:25")
    result = _start_production(env)
    assert result.returncode != 0 and "SITE_URL must be set" in result.stderr


def test_production_settings_refuse_the_console_mail_backend_unless_explicitly_allowed() -> None:
    env = _production_env(
        SECRET_KEY="x" * 50, ALLOWED_HOSTS="madoguchi.example.lg.jp", SITE_URL="https://madoguchi.example.lg.jp"
    )
    result = _start_production(env)
    assert result.returncode != 0 and "EMAIL_URL must name a mail server" in result.stderr
    env["EMAIL_URL"] = "consolemail://"
    result = _start_production(env)
    assert result.returncode != 0 and "EMAIL_URL must name a mail server" in result.stderr
    env["EMAIL_ALLOW_CONSOLE"] = "true"
    result = _start_production(
        env, "import django; django.setup(); from django.conf import settings; print(settings.EMAIL_BACKEND)"
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "django.core.mail.backends.console.EmailBackend"


def test_production_cookies_including_the_language_cookie_are_secure_and_health_is_exempt_from_https() -> None:
    env = _production_env(
        SECRET_KEY="x" * 50,
        ALLOWED_HOSTS="madoguchi.example.lg.jp",
        SITE_URL="https://madoguchi.example.lg.jp",
        EMAIL_URL="smtp://mail.example.lg.jp:25",
    )
    code = (
        "import django; django.setup(); from django.conf import settings as s; "
        "print(s.SESSION_COOKIE_SECURE, s.CSRF_COOKIE_SECURE, s.LANGUAGE_COOKIE_SECURE, s.SECURE_SSL_REDIRECT, "
        "s.SECURE_REDIRECT_EXEMPT, s.STAFF_SESSION_MAX_AGE)"
    )
    result = _start_production(env, code)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "True True True True ['^healthz$'] 36000"


def test_health_answers_over_plain_http_while_every_other_page_is_redirected_to_https(client, settings) -> None:
    settings.SECURE_SSL_REDIRECT = True
    response = client.get("/healthz")
    assert response.status_code == 200 and response.content == b"ok"
    assert client.get("/").status_code == 301
    assert client.get("/healthz/").status_code == 301


def test_env_example_lists_every_variable_the_settings_read() -> None:
    import re
    from pathlib import Path

    root = Path(__file__).resolve().parents[1]
    read = set(re.findall(r'env\.\w+\("([A-Z_]+)"', (root / "config" / "settings.py").read_text()))
    listed = set(re.findall(r"^([A-Z_]+)=", (root / ".env.example").read_text(), re.MULTILINE))
    assert read - listed == set()
    assert {"SECRET_KEY", "DATABASE_URL", "CACHE_URL", "EMAIL_URL"} <= read


def test_every_process_that_loads_the_settings_creates_files_for_its_user_only(tmp_path) -> None:
    import os
    import subprocess
    import sys

    code = (
        "import django, os, sqlite3; django.setup(); "
        f"sqlite3.connect({str(tmp_path / 'db.sqlite3')!r}).execute('CREATE TABLE t (x)'); "
        f"open({str(tmp_path / 'export.csv')!r}, 'w').close(); os.mkdir({str(tmp_path / 'media')!r})"
    )
    env = {**os.environ, "DEBUG": "true", "DJANGO_SETTINGS_MODULE": "config.settings"}
    subprocess.run([sys.executable, "-c", code], env=env, check=True)
    assert oct((tmp_path / "db.sqlite3").stat().st_mode & 0o777) == "0o600"
    assert oct((tmp_path / "export.csv").stat().st_mode & 0o777) == "0o600"
    assert oct((tmp_path / "media").stat().st_mode & 0o777) == "0o700"
