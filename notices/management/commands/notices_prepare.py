"""Prepare a month's advance-notice letters by hand (the scheduled job does the same every month)."""

from __future__ import annotations

import shutil
import time
from datetime import date
from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from notices import services
from notices.models import NoticeBatch


class Command(BaseCommand):
    help = "Prepare the letters for certificates expiring in --month (default: the configured month ahead)."

    def add_arguments(self, parser) -> None:
        parser.add_argument("--month", help="YYYY-MM: the month in which the certificates expire")
        parser.add_argument("--output", help="copy the batch PDF to this file")
        parser.add_argument("--dry-run", action="store_true", help="only count who would get a letter")

    def handle(self, *args, **options) -> None:
        if options["month"]:
            try:
                month = date.fromisoformat(f"{options['month']}-01")
            except ValueError as exc:
                raise CommandError("--month must be YYYY-MM") from exc
        else:
            month = services.default_target_month(timezone.localdate())
        if options["dry_run"]:
            self.stdout.write(f"{services.due_certificates(month).count()} letters due for {month:%Y-%m}")
            return
        batches = services.notice_batches_prepare(month=month)
        if not batches:
            self.stdout.write(f"No letters due for {month:%Y-%m}.")
            return
        if options["output"] and len(batches) > 1:
            raise CommandError("--output takes one batch; with one batch per office, copy each PDF by hand.")
        for batch in batches:
            self._finish(batch, month, options)

    def _finish(self, batch: NoticeBatch, month: date, options: dict) -> None:
        # Another cluster may be rendering this batch right now: wait for it, and take over if it dies (its
        # render lock goes with it).
        deadline = time.monotonic() + 1800
        while batch.status == NoticeBatch.Status.PREPARING and time.monotonic() < deadline:
            time.sleep(2)
            batch = services.notice_batch_prepare(month=month, office=batch.office) or batch
        if batch.status == NoticeBatch.Status.PREPARING:
            raise CommandError("The batch is still being prepared by another process.")
        path = Path(settings.MEDIA_ROOT) / batch.pdf_path
        if options["verbosity"]:
            self.stdout.write(f"{batch.label}: {batch.letter_count} letters, {path} (sha256 {batch.pdf_sha256})")
        if options["output"]:
            shutil.copyfile(path, options["output"])
