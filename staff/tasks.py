"""django-q2 tasks of the staff app: thin wrappers, safe to run twice."""

from __future__ import annotations

from django.core.management import call_command

from staff import counters


def purge_counters() -> int:
    """Rate-limit and login windows that ended over a day ago; version numbers are never purged."""
    return counters.purge()


def clear_expired_sessions() -> None:
    """Delete expired sessions (staff logins and anything else kept in a session row): none should outlive its
    expiry in the database."""
    call_command("clearsessions")
