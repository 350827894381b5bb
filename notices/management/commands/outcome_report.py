"""Print one month's outcome figures for the city's own analysis (spreadsheets, BI tools, the council).

The same figures as the supervisor's outcome page, as one JSON object or one CSV row with a header. A figure with
nothing to count (no letters mailed for the month, no timed visit, no survey answer) is null in JSON and an empty
cell in CSV.
"""

from __future__ import annotations

import json
from datetime import date

from django.core.management.base import BaseCommand, CommandError

from notices import report
from staff.shortcuts import SafeCsvWriter


def parse_month(value: str) -> date:
    try:
        return date.fromisoformat(f"{value}-01")
    except ValueError as exc:
        raise CommandError(f"--month must look like 2027-01 (year-month), not {value!r}") from exc


class Command(BaseCommand):
    help = "Print the outcome figures of one month as JSON (one object) or CSV (a header and one row)."

    def add_arguments(self, parser) -> None:
        parser.add_argument("--month", required=True, help="YYYY-MM")
        parser.add_argument("--format", choices=["json", "csv"], default="json")

    def handle(self, *args, **options) -> None:
        figures = report.month_report(parse_month(options["month"])).as_dict()
        if options["format"] == "json":
            self.stdout.write(json.dumps(figures, ensure_ascii=False))
            return
        flat = report.flatten(figures)
        writer = SafeCsvWriter(self.stdout, lineterminator="\n")
        writer.writerow(list(flat))
        writer.writerow(["" if value is None else value for value in flat.values()])
