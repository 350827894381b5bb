"""Outcome report and forecast: reads that span letters, reservations and certificates."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from django.db.models import Count, Exists, OuterRef, Q

from certificates.models import Certificate
from notices.models import Letter, NoticeBatch
from reservations import rules
from reservations.models import Procedure, Reservation, WalkIn


@dataclass
class Outcome:
    label: str
    letters: int
    mailed: int
    returned: int
    booked: int
    visited: int
    issued: int
    no_shows: int
    walk_ins: int
    # Not sent: withdrawn when the eligibility check before mailing found the household no longer eligible.
    withdrawn: int = 0

    def rate(self, part: int) -> str:
        return f"{part * 100 / self.mailed:.0f}%" if self.mailed else "—"


def _next_month(month: date) -> date:
    return (month.replace(day=28) + timedelta(days=4)).replace(day=1)


def annotate_outcomes(letters_qs):
    """Each letter with has_booking, has_visit, has_no_show, has_issue, from the live links."""
    reservations = Reservation.objects.filter(invitation__letter=OuterRef("pk"))
    visited = reservations.filter(status__in=[Reservation.Status.ARRIVED, Reservation.Status.DONE])
    no_show = reservations.filter(status=Reservation.Status.NO_SHOW)
    issued = Certificate.objects.filter(renews=OuterRef("certificate"))
    return letters_qs.annotate(
        has_booking=Exists(reservations),
        has_visit=Exists(visited),
        has_no_show=Exists(no_show),
        has_issue=Exists(issued),
    )


def _counted(live: str, kept: str) -> Q:
    # A letter whose links were cut by the retention job counts by what was kept at that moment.
    return Q(outcome_kept_at__isnull=True, **{live: True}) | Q(outcome_kept_at__isnull=False, **{kept: True})


def outcome_for(letters_qs, *, label: str, month: date) -> Outcome:
    row = annotate_outcomes(letters_qs).aggregate(
        letters=Count("pk"),
        mailed=Count("pk", filter=Q(status__in=[Letter.Status.MAILED, Letter.Status.RETURNED])),
        returned=Count("pk", filter=Q(status=Letter.Status.RETURNED)),
        withdrawn=Count("pk", filter=Q(status=Letter.Status.WITHDRAWN)),
        booked=Count("pk", filter=_counted("has_booking", "outcome_booked")),
        visited=Count("pk", filter=_counted("has_visit", "outcome_visited")),
        issued=Count("pk", filter=_counted("has_issue", "outcome_issued")),
        no_shows=Count("pk", filter=_counted("has_no_show", "outcome_no_show")),
    )
    procedure_ids = Procedure.objects.filter(certificate_kind__is_letter_kind=True).values("pk")
    walk_ins = WalkIn.objects.filter(procedure__in=procedure_ids, day__gte=month, day__lt=_next_month(month)).count()
    return Outcome(label=label, walk_ins=walk_ins, **row)


def outcome_for_batch(batch: NoticeBatch) -> Outcome:
    return outcome_for(Letter.objects.filter(batch=batch), label=batch.label, month=batch.month)


@dataclass
class ForecastRow:
    month: date
    expiring: int
    places: int
    window_start: date
    window_end: date

    @property
    def ratio(self) -> float:
        return self.places / self.expiring if self.expiring else float("inf")

    @property
    def short(self) -> bool:
        return self.expiring > self.places


def bookable_places(procedure: Procedure, start: date, end: date) -> int:
    """Places the opening hours give from start to end, with the office's closures and capacity changes."""
    return sum(places for _end, places in rules.slot_places(procedure=procedure, start=start, end=end).values())


def forecast(today: date, months: int = 6, weeks_before: int = 4) -> list[ForecastRow]:
    """Certificates expiring each coming month against the places open in the weeks before their expiry."""
    procedure = Procedure.objects.filter(is_active=True, certificate_kind__is_letter_kind=True).first()
    rows = []
    month = today.replace(day=1)
    renewed = Certificate.objects.filter(renews=OuterRef("pk"))
    for _ in range(months):
        month = _next_month(month)
        end_of_month = _next_month(month) - timedelta(days=1)
        expiring = (
            Certificate.objects.filter(
                kind__is_letter_kind=True,
                status=Certificate.Status.VALID,
                expires_on__gte=month,
                expires_on__lte=end_of_month,
            )
            .exclude(Exists(renewed))
            .count()
        )
        window_start = max(month - timedelta(weeks=weeks_before), today + timedelta(days=1))
        places = bookable_places(procedure, window_start, end_of_month) if procedure else 0
        rows.append(ForecastRow(month, expiring, places, window_start, end_of_month))
    return rows


CHART_SERIES = [
    ("mailed", "発送", "#0031d8"),
    ("booked", "予約", "#2a7ab0"),
    ("visited", "来庁", "#1d6b2f"),
    ("issued", "交付", "#8a5300"),
]


def outcome_chart(rows: list[Outcome], width: int = 640) -> dict:
    """Bar geometry for a server-drawn SVG: one group of bars per month, no JavaScript."""
    label_width, bar_height, gap = 90, 12, 10
    peak = max([getattr(r, key) for r in rows for key, _l, _c in CHART_SERIES] + [1])
    usable = width - label_width - 60
    groups = []
    y = 30
    for r in rows:
        bars = []
        for index, (key, label, colour) in enumerate(CHART_SERIES):
            value = getattr(r, key)
            bars.append(
                {
                    "y": y + index * bar_height,
                    "width": round(usable * value / peak, 1),
                    "value": value,
                    "label": label,
                    "colour": colour,
                    "text_x": label_width + round(usable * value / peak) + 4,
                }
            )
        groups.append({"label": r.label, "y": y, "label_y": y + bar_height * 2 + 4, "bars": bars})
        y += bar_height * len(CHART_SERIES) + gap
    legend = [
        {"label": label, "colour": colour, "x": label_width + i * 90}
        for i, (_k, label, colour) in enumerate(CHART_SERIES)
    ]
    return {
        "width": width,
        "height": y + 5,
        "label_width": label_width,
        "bar_height": bar_height - 2,
        "groups": groups,
        "legend": legend,
    }
