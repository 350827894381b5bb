from datetime import date

import pytest

from certificates.rules import earliest_photo_date, expiry_date, photo_is_acceptable

# DOMAIN.md, "Dates": issued on, civil-code default, issue day counted (6 months).
DOMAIN_EXAMPLES = [
    (date(2025, 1, 15), date(2025, 7, 15), date(2025, 7, 14)),
    (date(2025, 8, 30), date(2026, 2, 28), date(2026, 2, 28)),
    (date(2025, 8, 31), date(2026, 2, 28), date(2026, 2, 28)),
    (date(2023, 8, 29), date(2024, 2, 29), date(2024, 2, 28)),
    (date(2025, 12, 31), date(2026, 6, 30), date(2026, 6, 30)),
]


@pytest.mark.parametrize(("issued", "civil", "counted"), DOMAIN_EXAMPLES)
def test_expiry_follows_every_domain_example(issued: date, civil: date, counted: date) -> None:
    assert expiry_date(issued, 6) == civil
    assert expiry_date(issued, 6, count_issue_day=True) == counted


def test_expiry_of_a_twelve_month_certificate_ends_the_day_before_the_anniversary_plus_one() -> None:
    assert expiry_date(date(2025, 4, 1), 12) == date(2026, 4, 1)
    assert expiry_date(date(2025, 4, 1), 12, count_issue_day=True) == date(2026, 3, 31)


def test_expiry_from_the_last_day_of_a_month_into_a_leap_february() -> None:
    assert expiry_date(date(2023, 8, 30), 6) == date(2024, 2, 29)
    assert expiry_date(date(2023, 8, 31), 6) == date(2024, 2, 29)
    # The first counted day is 1 March, so the period ends on the last day of the month before.
    assert expiry_date(date(2024, 2, 29), 6) == date(2024, 8, 31)
    assert expiry_date(date(2024, 2, 29), 12) == date(2025, 2, 28)
    assert expiry_date(date(2024, 2, 29), 6, count_issue_day=True) == date(2024, 8, 28)


def test_expiry_crosses_the_year_end() -> None:
    assert expiry_date(date(2025, 7, 31), 6) == date(2026, 1, 31)
    assert expiry_date(date(2025, 6, 30), 6) == date(2025, 12, 31)
    assert expiry_date(date(2025, 6, 30), 6, count_issue_day=True) == date(2025, 12, 29)


def test_expiry_rejects_a_zero_month_period() -> None:
    with pytest.raises(ValueError):
        expiry_date(date(2025, 1, 1), 0)


def test_earliest_photo_date_is_the_same_day_six_months_before() -> None:
    assert earliest_photo_date(date(2026, 11, 26), 6) == date(2026, 5, 26)


def test_earliest_photo_date_clamps_to_the_month_end() -> None:
    assert earliest_photo_date(date(2026, 8, 31), 6) == date(2026, 2, 28)
    assert earliest_photo_date(date(2024, 8, 31), 6) == date(2024, 2, 29)
    assert earliest_photo_date(date(2026, 3, 31), 1) == date(2026, 2, 28)


def test_a_photo_is_acceptable_from_the_earliest_date_to_the_visit_day_inclusive() -> None:
    visit = date(2026, 11, 26)
    assert photo_is_acceptable(date(2026, 5, 26), visit, 6)
    assert photo_is_acceptable(visit, visit, 6)
    assert not photo_is_acceptable(date(2026, 5, 25), visit, 6)
    assert not photo_is_acceptable(date(2026, 11, 27), visit, 6)
