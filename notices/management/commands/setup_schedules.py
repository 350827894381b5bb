"""Create or update Madoguchi's django-q2 schedules by name, so deploying twice never doubles a job."""

from __future__ import annotations

from django.conf import settings
from django.core.management.base import BaseCommand
from django_q.models import Schedule

SCHEDULES = [
    # name, function, cron (Asia/Tokyo)
    ("notices-monthly-batch", "notices.tasks.prepare_monthly_batch", None),
    ("reservations-generate-slots", "reservations.tasks.generate_slots", "10 0 * * *"),
    ("reservations-reminders", "reservations.tasks.send_reminders", "0 9 * * *"),
    ("retention", "notices.tasks.retention", "30 2 * * *"),
    ("reservations-retry-confirmations", "reservations.tasks.retry_confirmations", "*/5 * * * *"),
    ("staff-purge-counters", "staff.tasks.purge_counters", "40 2 * * *"),
    # After the counter closes: the survey link to residents whose visit was done (and who gave an e-mail).
    ("notices-survey-mails", "notices.tasks.send_survey_mails", "30 17 * * *"),
    ("sessions-clear", "staff.tasks.clear_expired_sessions", "15 3 * * *"),
]
# Schedules of earlier versions, deleted by name: their work is now done by one of the above.
RETIRED = ["reservations-retention"]


class Command(BaseCommand):
    help = "Create or update the scheduled jobs (monthly letters, daily slots, reminders)."

    def add_arguments(self, parser) -> None:
        parser.add_argument("--dry-run", action="store_true")

    def handle(self, *args, **options) -> None:
        for name in RETIRED:
            if options["dry_run"]:
                self.stdout.write(f"would delete {name}")
            elif Schedule.objects.filter(name=name).delete()[0] and options["verbosity"]:
                self.stdout.write(f"deleted {name}")
        for name, func, cron in SCHEDULES:
            cron = cron or settings.NOTICE_SCHEDULE_CRON
            if options["dry_run"]:
                self.stdout.write(f"would set {name}: {func} at '{cron}'")
                continue
            _schedule, created = Schedule.objects.update_or_create(
                name=name,
                defaults={"func": func, "schedule_type": Schedule.CRON, "cron": cron, "repeats": -1, "cluster": None},
            )
            if options["verbosity"]:
                self.stdout.write(f"{'created' if created else 'updated'} {name}: {func} at '{cron}' (Asia/Tokyo)")
