"""django-q2 tasks of the staff app: thin wrappers, safe to run twice."""

from __future__ import annotations

from staff import counters


def purge_counters() -> int:
    """Rate-limit and login windows that ended over a day ago; version numbers are never purged."""
    return counters.purge()
