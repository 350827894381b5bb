"""Print a one-time link with which a staff member registers an authenticator app.

A supervisor's first authenticator app needs such a link. Another supervisor issues it on the staff accounts page;
this command is for the first supervisor of an installation, or when no other supervisor can."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied
from django.core.management.base import BaseCommand, CommandError, CommandParser

from staff.otp import enrolment_link_issue


class Command(BaseCommand):
    help = "Print a one-time link for a staff member to register an authenticator app."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("username")

    def handle(self, *args: Any, **options: Any) -> None:
        user = get_user_model()._default_manager.filter(username=options["username"]).first()
        if user is None:
            raise CommandError(f"No user named {options['username']!r}.")
        try:
            path = enrolment_link_issue(user=user, by=None)
        except PermissionDenied as exc:
            raise CommandError(f"{user.username} has no staff role (clerk or supervisor).") from exc
        self.stdout.write(settings.SITE_URL.rstrip("/") + path)
        if options["verbosity"] > 1:
            hours = settings.OTP_ENROLMENT_LINK_HOURS
            self.stdout.write(f"Valid for {hours} hours, once; open it while logged in as {user.username}.")
