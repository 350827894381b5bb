from typing import Any

from django.apps import AppConfig
from django.core.management import call_command
from django.db.models.signals import post_migrate
from django.urls import register_converter

from staff.converters import IsoDateConverter, TokenConverter


def _create_cache_table(using: str = "default", **kwargs: Any) -> None:
    """`migrate` alone leaves a working product: the database cache's table is made with the others.

    createcachetable skips tables that exist and caches that are not in the database."""
    call_command("createcachetable", database=using, verbosity=0)


class StaffConfig(AppConfig):
    """Staff accounts and what every app's staff pages share: roles, login, two-factor, middleware, helpers."""

    name = "staff"
    verbose_name = "職員"

    def ready(self) -> None:
        # Registered here, before any URLconf is read, so every app's urls.py can use <isodate:...>.
        register_converter(IsoDateConverter, "isodate")
        register_converter(TokenConverter, "token")

        from staff import events  # noqa: F401 - connects the login signals

        post_migrate.connect(_create_cache_table, sender=self, dispatch_uid="staff-cache-table")
