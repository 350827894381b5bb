"""Helpers every app's staff views share: a service's ValidationError on a form, and CSV downloads."""

from __future__ import annotations

import csv
from collections.abc import Iterable, Mapping
from typing import Any

from django.core.exceptions import ValidationError
from django.forms import BaseForm
from django.http import HttpResponse


def apply_errors(form: BaseForm, exc: ValidationError, *, aliases: Mapping[str, str] | None = None) -> None:
    """Put a service's ValidationError on the form fields it names; the rest at the top of the form.

    `aliases` maps a service's field name to the form field that stands for it (a birth date typed as three
    fields shows its error on the first)."""
    aliases = aliases or {}
    if hasattr(exc, "error_dict"):
        for field, errors in exc.error_dict.items():
            target: str | None = aliases[field] if aliases.get(field) in form.fields else field
            if target not in form.fields:
                target = None
            for error in errors:
                form.add_error(target, error)
    else:
        for error in exc.error_list:
            form.add_error(None, error)


# A cell a spreadsheet would run as a formula (or as a DDE command) when it starts with one of these; full-width
# forms included, since spreadsheets in Japanese locales accept them too.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r", "\n", "＝", "＋", "－", "＠")


def spreadsheet_safe(value: Any) -> Any:
    """The cell as text a spreadsheet shows but never runs: a leading apostrophe before a formula start.

    Numbers stay numbers; only text is touched (a negative number is not text a resident could have typed)."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


class SafeCsvWriter:
    """csv.writer whose every cell goes through spreadsheet_safe(): the one way the product writes CSV."""

    def __init__(self, fileobj: Any, **kwargs: Any) -> None:
        self.writer = csv.writer(fileobj, **kwargs)

    def writerow(self, row: Iterable[Any]) -> None:
        self.writer.writerow([spreadsheet_safe(cell) for cell in row])

    def writerows(self, rows: Iterable[Iterable[Any]]) -> None:
        for row in rows:
            self.writerow(row)


class CsvResponse(HttpResponse):
    """A CSV download that spreadsheet software opens as UTF-8 (Excel reads it so only with the BOM).

    Every CSV the product writes goes through this class, and every cell through spreadsheet_safe(): a name typed
    on a public form such as =HYPERLINK(...) arrives in the spreadsheet as inert text."""

    def __init__(self, filename: str, header: Iterable[Any]) -> None:
        super().__init__(content_type="text/csv; charset=utf-8")
        self["Content-Disposition"] = f'attachment; filename="{filename}"'
        self.write("\ufeff")
        self.writer = SafeCsvWriter(self)
        self.writerow(header)

    def writerow(self, row: Iterable[Any]) -> None:
        self.writer.writerow(row)
