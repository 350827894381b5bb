"""The outcome report for one office (本庁, a 支所) and for the city: page, table CSV, PDF and the command."""

from __future__ import annotations

import io
import json
from datetime import date, time

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from pypdf import PdfReader

from notices import report
from reservations.models import Office, Reservation, WalkIn
from tests import factories
from tests.notices import evidence_fixture as fx


@pytest.fixture
def offices(alice):
    """The hand-counted October at the main office, plus one letter, one booked visit and one walk-in at a 支所."""
    factories.ensure_defaults()
    o = fx.build(alice)
    main = o.proc.office
    branch, branch_proc = factories.office_with_procedure("北支所", phone="06-0000-0002", slug="branch")
    o.proc = branch_proc
    b1 = o.letter("B1")
    day = date(2026, 10, 12)
    r = o.reservation(
        day, time(10, 0), letter=b1, with_code=True, status=Reservation.Status.DONE, times=((10, 0), (10, 10), (10, 25))
    )
    r.issued_certificate = o.renew(b1, day, date(2026, 10, 1))
    r.save(update_fields=["issued_certificate"])
    walk_in = o.walk_in(day, 11, 0, served=True, had_letter=WalkIn.HadLetter.NO)
    walk_in.called_at, walk_in.done_at = fx.at(day, 11, 20), fx.at(day, 11, 30)
    walk_in.save(update_fields=["called_at", "done_at"])
    return main, branch


def test_the_main_office_alone_counts_exactly_the_hand_counted_month(offices) -> None:
    main, _branch = offices
    assert report.month_report(fx.OCTOBER, main).as_dict() == {**fx.EXPECTED, "office": main.name}


def test_the_branch_counts_only_its_letters_and_its_counter(offices) -> None:
    _main, branch = offices
    figures = report.month_report(fx.OCTOBER, branch).as_dict()
    assert figures["office"] == "北支所"
    assert (figures["letters_mailed"], figures["booked"], figures["visited"], figures["issued"]) == (1, 1, 1, 1)
    assert figures["booked_by_channel"] == {"internet": 1, "phone": 0, "counter": 0}
    assert (figures["booked_visits"], figures["walk_ins_served"], figures["walk_ins_turned_away"]) == (1, 1, 0)
    assert (figures["median_wait_minutes_booked"], figures["median_wait_minutes_walk_in"]) == (10.0, 20.0)
    assert (figures["photo_refusals"], figures["median_photo_age_days_at_issue"]) == (0, 11)
    assert figures["booked_share_of_visits"] == 0.5
    # Complaints and the anonymous survey are not split by office.
    assert figures["complaints_by_category"] == fx.EXPECTED["complaints_by_category"]
    assert figures["survey_responses"] == fx.EXPECTED["survey_responses"]


def test_the_city_is_the_sum_of_its_offices(offices) -> None:
    figures = report.month_report(fx.OCTOBER).as_dict()
    assert figures["office"] is None
    assert (figures["letters_mailed"], figures["booked"], figures["visited"], figures["issued"]) == (9, 5, 4, 3)
    assert (figures["booked_visits"], figures["walk_ins_served"], figures["walk_ins_turned_away"]) == (6, 4, 2)


def test_the_page_has_an_office_choice_a_table_per_office_and_one_offices_page(supervisor_client, offices) -> None:
    _main, branch = offices
    city = supervisor_client.get("/staff/notices/outcomes/?month=2026-10").content.decode()
    assert '<option value="">市全体</option>' in city
    assert "窓口ごとの結果と市全体" in city
    assert '<th scope="row">北支所</th><td>1</td><td>1</td><td>100.0%</td>' in city
    assert '<th scope="row">市全体</th><td>9</td><td>5</td><td>55.6%</td>' in city

    page = supervisor_client.get(f"/staff/notices/outcomes/?month=2026-10&office={branch.pk}").content.decode()
    assert "<h1>お知らせと予約の効果　2026年10月（北支所）</h1>" in page
    assert f'<option value="{branch.pk}" selected>北支所</option>' in page
    assert '<th scope="row">発送したお知らせ</th><td>1</td>' in page
    assert "窓口ごとの結果と市全体" not in page
    assert f"?month=2026-10&amp;office={branch.pk}&amp;table=letters" in page
    assert f"/staff/notices/outcomes/2026-10/report.pdf?office={branch.pk}" in page

    table = supervisor_client.get(f"/staff/notices/outcomes/?month=2026-10&office={branch.pk}&table=letters")
    assert f"outcome-2026-10-office{branch.pk}-letters.csv" in table["Content-Disposition"]
    assert "発送したお知らせ,1," in table.content.decode("utf-8")


def test_an_unknown_office_says_so_and_shows_nothing(supervisor_client, offices) -> None:
    response = supervisor_client.get("/staff/notices/outcomes/?month=2026-10&office=999", follow=True)
    assert "指定された窓口が見つかりません。" in response.content.decode()
    assert supervisor_client.get("/staff/notices/outcomes/2026-10/report.pdf?office=x").status_code == 404


def test_the_pdf_of_one_office_names_it_and_counts_its_letters(supervisor_client, offices) -> None:
    _main, branch = offices
    response = supervisor_client.get(f"/staff/notices/outcomes/2026-10/report.pdf?office={branch.pk}")
    reader = PdfReader(io.BytesIO(response.content))
    assert len(reader.pages) == 1
    text = reader.pages[0].extract_text()
    assert "北支所" in text and "市全体" in text
    assert f"outcome-2026-10-office{branch.pk}.pdf" in response["Content-Disposition"]


def test_the_command_prints_one_offices_figures_by_name_or_id(offices) -> None:
    _main, branch = offices
    for value in ("北支所", str(branch.pk)):
        out = io.StringIO()
        call_command("outcome_report", "--month", "2026-10", "--office", value, stdout=out)
        printed = json.loads(out.getvalue())
        assert (printed["office"], printed["letters_mailed"], printed["walk_ins_served"]) == ("北支所", 1, 1)
    out = io.StringIO()
    call_command("outcome_report", "--month", "2026-10", "--office", "北支所", "--format", "csv", stdout=out)
    assert "北支所" in out.getvalue()
    with pytest.raises(CommandError, match="南支所"):
        call_command("outcome_report", "--month", "2026-10", "--office", "南支所", stdout=io.StringIO())
    assert Office.objects.count() == 2


def test_the_forecast_of_one_office_counts_its_residents_and_its_places(supervisor_client, frozen) -> None:
    from notices.selectors import forecast
    from reservations.offices import resident_office_set
    from reservations.slots import slots_generate_all

    factories.ensure_defaults()
    main = factories.procedure()
    branch, branch_procedure = factories.office_with_procedure("北支所", phone="06-0000-0002", slug="branch")
    factories.staffed(1, main)
    factories.staffed(1, branch_procedure)
    slots_generate_all()
    bob = factories.user("forecaster", "supervisor")
    for index in range(3):
        resident = factories.resident(family_name=f"北{index}")
        factories.certificate(resident, issued_on=date(2026, 6, 10))  # expires in December
        if index:
            resident_office_set(resident=resident, office=branch, user=bob)
    today = date(2026, 11, 25)
    city, at_main, at_branch = forecast(today), forecast(today, office=main.office), forecast(today, office=branch)
    assert (city[0].expiring, at_main[0].expiring, at_branch[0].expiring) == (3, 1, 2)
    assert at_main[0].places > 0 and at_branch[0].places > 0
    assert city[0].places == at_main[0].places + at_branch[0].places
    page = supervisor_client.get(f"/staff/notices/outcomes/?office={branch.pk}").content.decode()
    assert "今後6か月の見通し（北支所）" in page
