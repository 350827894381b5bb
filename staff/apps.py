from django.apps import AppConfig
from django.urls import register_converter

from staff.converters import IsoDateConverter


class StaffConfig(AppConfig):
    """Staff accounts and what every app's staff pages share: roles, login, two-factor, middleware, helpers."""

    name = "staff"
    verbose_name = "職員"

    def ready(self) -> None:
        # Registered here, before any URLconf is read, so every app's urls.py can use <isodate:...>.
        register_converter(IsoDateConverter, "isodate")
