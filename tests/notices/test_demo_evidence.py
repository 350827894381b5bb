from __future__ import annotations

import random

from notices import demo_evidence, evidence, report
from notices.models import NoticeBatch
from tests import factories


def test_the_demo_year_fills_every_table_of_the_outcome_report(alice, frozen) -> None:
    factories.ensure_defaults()
    built = demo_evidence.build_year(rng=random.Random(1), clerk=alice, today=factories.TODAY)
    assert built is not None and built.letters and built.reservations and built.survey
    filled: dict[str, int] = {}
    for row in report.before_after(factories.TODAY):
        _report, tables = evidence.month_tables(row.month)
        for table in tables:
            numbers = [v for r in table.rows for v in r[1:] if isinstance(v, int | float)]
            filled[table.ident] = filled.get(table.ident, 0) + sum(1 for v in numbers if v)
            if table.ident == "survey_comments":
                filled[table.ident] += len(table.rows)
    assert all(filled.values()), {k: v for k, v in filled.items() if not v}
    rows = report.before_after(factories.TODAY)
    assert rows[0].booked_visits == 0 and rows[0].walk_ins > 0  # before the letters: walk-ins only
    assert all(row.booked_share == 0 for row in rows[:6] if row.visits)
    assert all(row.booked_share and row.booked_share > 0.2 for row in rows[7:-1])
    assert report.first_letters_month() == rows[6].month


def test_the_demo_year_is_built_once(alice, frozen) -> None:
    factories.ensure_defaults()
    demo_evidence.build_year(rng=random.Random(1), clerk=alice, today=factories.TODAY)
    batches = NoticeBatch.objects.count()
    assert demo_evidence.build_year(rng=random.Random(1), clerk=alice, today=factories.TODAY) is None
    assert NoticeBatch.objects.count() == batches


def test_the_demo_year_invites_some_residents_to_the_branch_office(alice, frozen) -> None:
    from notices.models import Letter
    from reservations.models import ResidentOffice

    factories.ensure_defaults()
    branch, _procedure = factories.office_with_procedure("北支所", phone="06-0000-0002", slug="branch")
    demo_evidence.build_year(rng=random.Random(1), clerk=alice, today=factories.TODAY)
    letters = Letter.objects.filter(office=branch)
    assert letters.exists() and letters.count() < Letter.objects.count() / 3
    assert ResidentOffice.objects.filter(office=branch).count() == letters.count()
    months = sorted(set(Letter.objects.values_list("batch__month", flat=True)))
    figures = [report.month_report(month, branch) for month in months]
    assert sum(r.letters.mailed for r in figures) == letters.exclude(status="prepared").count()
    assert sum(r.letters.booked for r in figures) > 0
    assert sum(r.counter.visits for r in figures) > 0
