from __future__ import annotations

import csv
import io
import json
from datetime import date

import pytest
from django.core.management import call_command

from notices import report
from tests import factories
from tests.notices import evidence_fixture as fx


@pytest.fixture
def office(alice):
    factories.ensure_defaults()
    return fx.build(alice)


def test_every_figure_of_the_month_matches_the_hand_count(office) -> None:
    assert report.month_report(fx.OCTOBER).as_dict() == fx.EXPECTED


def test_each_batch_has_its_own_counts_and_rates(office) -> None:
    (row,) = report.month_report(fx.OCTOBER).batches
    assert row.withdrawn == 1
    assert (row.letters, row.mailed, row.returned, row.booked, row.visited, row.issued, row.no_shows) == (
        10,
        8,
        1,
        4,
        3,
        2,
        1,
    )
    assert row.rates == {"booked": 0.5, "visited": 0.375, "issued": 0.25, "no_shows": 0.125, "returned": 0.125}


def test_walk_ins_are_split_by_whether_they_had_the_letter(office) -> None:
    counter = report.counter_for_month(fx.OCTOBER)
    assert counter.walk_ins_by_letter == {
        "yes": {"served": 1, "turned_away": 1},
        "no": {"served": 1, "turned_away": 0},
        "unknown": {"served": 1, "turned_away": 1},
    }


def test_photo_age_at_issue_falls_into_month_buckets(office) -> None:
    photos = report.photos_for_month(fx.OCTOBER)
    assert [count for _label, count in photos.age_buckets] == [1, 0, 0, 0, 0, 2, 0]


def test_before_and_after_covers_months_without_letters(office) -> None:
    rows = {row.month: row for row in report.before_after(date(2026, 10, 31))}
    assert len(rows) == 12 and min(rows) == date(2025, 11, 1)
    march, september, october = rows[date(2026, 3, 1)], rows[date(2026, 9, 1)], rows[date(2026, 10, 1)]
    assert (march.booked_visits, march.walk_ins, march.booked_share, march.letters_mailed) == (0, 1, 0.0, 0)
    assert (september.booked_visits, september.walk_ins, september.booked_share, september.letters_mailed) == (
        1,
        0,
        1.0,
        8,
    )
    assert (october.booked_visits, october.walk_ins, october.booked_share) == (5, 5, 0.5)
    assert rows[date(2026, 1, 1)].booked_share is None
    assert report.first_letters_month() == date(2026, 9, 1)


def test_survey_answers_are_counted_in_tokyo_months(office) -> None:
    assert report.survey_for_month(date(2026, 11, 1)).responses == 1
    october = report.survey_for_month(fx.OCTOBER)
    assert [c.comment for c in october.comments] == ["分かりやすかった"]
    assert dict(october.satisfaction) == {"1": 0, "2": 0, "3": 0, "4": 1, "5": 1, "無回答": 1}


def test_a_month_with_nothing_to_count_gives_nulls_not_zeros_where_nothing_was_counted(db) -> None:
    figures = report.month_report(date(2027, 1, 1)).as_dict()
    assert figures["letters_mailed"] == 0
    for key in ("booked", "booked_by_channel", "visited", "issued", "no_shows", "booked_share_of_visits"):
        assert figures[key] is None, key
    for key in ("median_wait_minutes_booked", "median_wait_minutes_walk_in", "survey_mean_satisfaction"):
        assert figures[key] is None, key
    assert figures["walk_ins_served"] == 0 and figures["survey_responses"] == 0
    assert figures["complaints_by_category"]["スマホ・インターネットが使えない"] == 0


def test_the_command_prints_one_json_object_with_the_agreed_keys(office) -> None:
    out = io.StringIO()
    call_command("outcome_report", "--month", "2026-10", "--format", "json", stdout=out)
    printed = json.loads(out.getvalue())
    assert printed == fx.EXPECTED
    for key in (
        "month",
        "letters_mailed",
        "booked",
        "booked_by_channel",
        "visited",
        "issued",
        "no_shows",
        "walk_ins_served",
        "walk_ins_turned_away",
        "booked_share_of_visits",
        "median_wait_minutes_booked",
        "median_wait_minutes_walk_in",
        "photo_refusals",
        "complaints_by_category",
        "survey_responses",
        "survey_mean_satisfaction",
    ):
        assert key in printed
    assert set(printed["booked_by_channel"]) == {"internet", "phone", "counter"}


def test_the_command_prints_the_same_as_one_csv_row(office) -> None:
    out = io.StringIO()
    call_command("outcome_report", "--month", "2026-10", "--format", "csv", stdout=out)
    rows = list(csv.reader(io.StringIO(out.getvalue())))
    assert len(rows) == 2
    row = dict(zip(rows[0], rows[1], strict=True))
    assert row["month"] == "2026-10"
    assert row["booked_by_channel.phone"] == "2"
    assert row["complaints_by_category.予約が面倒"] == "2"
    assert row["median_wait_minutes_walk_in"] == "30.0"


def test_the_command_writes_a_category_name_that_looks_like_a_formula_as_inert_text(office, alice) -> None:
    from notices import feedback

    category = feedback.complaint_category_add(name='=HYPERLINK("http://evil.example/","詳細")')
    feedback.complaint_record(
        user=alice, category=category, channel="counter", received_on=date(2026, 10, 20), today=date(2026, 10, 20)
    )
    out = io.StringIO()
    call_command("outcome_report", "--month", "2026-10", "--format", "csv", stdout=out)
    header, values = list(csv.reader(io.StringIO(out.getvalue())))
    row = dict(zip(header, values, strict=True))
    # The name a supervisor typed sits behind the key's prefix, and no cell starts as a formula would.
    assert row['complaints_by_category.=HYPERLINK("http://evil.example/","詳細")'] == "1"
    assert not [cell for cell in header + values if cell.startswith(("=", "+", "-", "@", "\t", "\r"))]


def test_the_command_leaves_empty_cells_for_nulls(db) -> None:
    out = io.StringIO()
    call_command("outcome_report", "--month", "2027-01", "--format", "csv", stdout=out)
    header, values = list(csv.reader(io.StringIO(out.getvalue())))
    row = dict(zip(header, values, strict=True))
    assert row["booked_by_channel.internet"] == "" and row["survey_mean_satisfaction"] == ""


def test_the_command_rejects_a_month_it_cannot_read(db) -> None:
    from django.core.management.base import CommandError

    with pytest.raises(CommandError, match="2027-01"):
        call_command("outcome_report", "--month", "January", stdout=io.StringIO())


def test_the_figures_stay_the_same_after_retention_cuts_the_bookings_and_then_the_letters(office, settings) -> None:
    from datetime import datetime

    from notices import services
    from notices.models import Letter
    from reservations.models import Reservation

    settings.RESERVATION_RETENTION_MONTHS = 13
    settings.NOTICE_RETENTION_MONTHS = 24
    before = report.funnel_for_month(fx.OCTOBER)
    assert before.by_channel == {"internet": 2, "phone": 2, "counter": 0}

    # December 2027: October 2026's bookings lose their links; the letters are kept whole for another year.
    services.retention_run(now=datetime(2027, 12, 2, 3, 0, tzinfo=fx.JST))
    assert not Reservation.objects.filter(slot__day__lt=date(2026, 11, 1), anonymised_at__isnull=True).exists()
    assert Letter.objects.filter(anonymised_at__isnull=True).count() == 10
    assert report.funnel_for_month(fx.OCTOBER) == before
    assert report.month_report(fx.OCTOBER).as_dict() == fx.EXPECTED
    # The resident of L9 had booked before the letter: that old booking going says nothing about the letter.
    assert Letter.objects.get(pk=office.letters["L9"].pk).outcome_kept_at is None

    services.retention_run(now=datetime(2028, 12, 2, 3, 0, tzinfo=fx.JST))
    assert not Letter.objects.filter(anonymised_at__isnull=True).exists()
    assert report.funnel_for_month(fx.OCTOBER) == before
    assert report.month_report(fx.OCTOBER).as_dict() == fx.EXPECTED


def test_a_booking_issued_after_a_new_photo_still_counts_so_after_retention(office, settings) -> None:
    from datetime import datetime, time

    from notices import services
    from reservations.models import Reservation

    settings.NOTICE_RETENTION_MONTHS = 24
    day = date(2026, 10, 14)
    extra = office.reservation(
        day, time(11, 0), status=Reservation.Status.DONE, photo_refused_at=fx.at(day, 11, 5), times=None
    )
    extra.issued_certificate = factories.certificate(factories.resident(), issued_on=day, photo_taken_on=day)
    extra.save(update_fields=["issued_certificate"])
    before = report.photos_for_month(fx.OCTOBER)
    assert (before.refused, before.delayed) == (1, 2)

    services.retention_run(now=datetime(2027, 12, 2, 3, 0, tzinfo=fx.JST))
    extra.refresh_from_db()
    assert extra.issued_certificate_id is None and extra.issued_kept
    assert report.photos_for_month(fx.OCTOBER) == before
