"""Print one month's outcome figures for the city's own analysis (spreadsheets, BI tools, the council).

The same figures as the supervisor's outcome page, as one JSON object or one CSV row with a header. A figure with
nothing to count (no letters mailed for the month, no timed visit, no survey answer) is null in JSON and an empty
cell in CSV. `--office` gives one office's figures (its letters, its counter); complaints and the anonymous survey
are the city's either way.
"""

from __future__ import annotations

import json
from datetime import date

from django.core.management.base import BaseCommand, CommandError

from notices import report
from reservations.models import Office
from staff.shortcuts import SafeCsvWriter


def parse_month(value: str) -> date:
    try:
        return date.fromisoformat(f"{value}-01")
    except ValueError as exc:
        raise CommandError(f"--month must look like 2027-01 (year-month), not {value!r}") from exc


def find_office(value: str) -> Office:
    office = Office.objects.filter(name=value).first()
    if office is None and value.isdigit():
        office = Office.objects.filter(pk=int(value)).first()
    if office is None:
        names = "、".join(Office.objects.order_by("id").values_list("name", flat=True))
        raise CommandError(f"--office {value!r}: no such office (offices: {names})")
    return office


class Command(BaseCommand):
    help = "Print the outcome figures of one month as JSON (one object) or CSV (a header and one row)."

    def add_arguments(self, parser) -> None:
        parser.add_argument("--month", required=True, help="YYYY-MM")
        parser.add_argument("--format", choices=["json", "csv"], default="json")
        parser.add_argument(
            "--office", help="one office's figures, by its name or id (default: the whole city)", default=""
        )

    def handle(self, *args, **options) -> None:
        office = find_office(options["office"]) if options["office"] else None
        figures = report.month_report(parse_month(options["month"]), office).as_dict()
        if options["format"] == "json":
            self.stdout.write(json.dumps(figures, ensure_ascii=False))
            return
        flat = report.flatten(figures)
        writer = SafeCsvWriter(self.stdout, lineterminator="\n")
        writer.writerow(list(flat))
        writer.writerow(["" if value is None else value for value in flat.values()])
