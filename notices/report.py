"""The outcome report: did the letters and the booking work? Reads only; every figure the supervisor sees.

Two kinds of month are used, each where it answers the question:

- the **letters' month** (the month the certificates expire, which is the batch's target month): letters mailed for
  that month and what came of them — booked, visited, issued, no-shows, returned — with rates against the letters
  mailed. A letter counts only once marked mailed (or returned), so a batch still on the desk never shows a rate;
- the **calendar month** of what happened at the counter: visits (booked and walk-ins) by the day of the visit,
  waiting and service times, photo refusals, photo age at issue, complaints received, survey answers.

A booking belongs to a letter when it was made with the letter's code, or (without the code: typed on /book/,
or phoned in without it) when it names the letter's certificate, or names its resident and was made after the
letter. Only the procedures of the certificate kind the letters are about count ("this procedure").

Medians are the usual median (the mean of the two middle values when their number is even); the 90th percentile
is the nearest-rank one: the smallest value at least 90 % of the values do not exceed.
"""

from __future__ import annotations

import math
import statistics
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from django.db.models import Exists, OuterRef, Q, QuerySet

from certificates.models import Certificate
from certificates.rules import months_before
from notices.models import Complaint, ComplaintCategory, Letter, NoticeBatch, SurveyResponse
from reservations.models import Office, Procedure, Reservation, WalkIn

VISITED = (Reservation.Status.ARRIVED, Reservation.Status.DONE)
CHANNELS = ("internet", "phone", "counter")
CHANNEL_OF = {
    Reservation.Channel.WEB: "internet",
    Reservation.Channel.PHONE: "phone",
    Reservation.Channel.COUNTER: "counter",
}
CHANNEL_LABELS = {"internet": "インターネット", "phone": "電話", "counter": "窓口"}
PHOTO_AGE_BUCKETS = ["1か月未満", "1〜2か月", "2〜3か月", "3〜4か月", "4〜5か月", "5〜6か月", "6か月超"]


def month_start(day: date) -> date:
    return day.replace(day=1)


def next_month(month: date) -> date:
    return (month.replace(day=28) + timedelta(days=4)).replace(day=1)


def month_label(month: date) -> str:
    return f"{month:%Y年}{month.month}月"


def rate(part: int | None, whole: int | None) -> float | None:
    """part / whole, or None when there is nothing to divide by."""
    if part is None or not whole:
        return None
    return part / whole


def median(values: Sequence[float]) -> float | None:
    return float(statistics.median(values)) if values else None


def percentile(values: list[float], p: float) -> float | None:
    """Nearest-rank percentile: the value at rank ceil(p/100 * n) of the sorted values."""
    if not values:
        return None
    ordered = sorted(values)
    rank = max(1, math.ceil(p / 100 * len(ordered)))
    return float(ordered[rank - 1])


def _minutes(later: datetime, earlier: datetime) -> float:
    return max((later - earlier).total_seconds() / 60, 0.0)


def letter_procedures(office: Office | None = None) -> QuerySet[Procedure]:
    """This procedure (the letters' certificate kind), at every office or at one."""
    procedures = Procedure.objects.filter(certificate_kind__is_letter_kind=True)
    return procedures if office is None else procedures.filter(office=office)


# --- letters: counts and rates against the letters mailed ------------------------------------------------


@dataclass
class Funnel:
    label: str
    letters: int = 0
    mailed: int = 0
    returned: int = 0
    # Not sent: withdrawn when the eligibility check before mailing found the household no longer eligible.
    withdrawn: int = 0
    # Not sent: the resident already held a booking when the batch was prepared.
    already_booked: int = 0
    booked: int = 0
    booked_with_code: int = 0
    booked_without_code: int = 0
    by_channel: dict[str, int] = field(default_factory=lambda: dict.fromkeys(CHANNELS, 0))
    phone_with_code: int = 0
    phone_without_code: int = 0
    visited: int = 0
    issued: int = 0
    no_shows: int = 0

    def rate_of(self, name: str) -> float | None:
        return rate(getattr(self, name), self.mailed)

    @property
    def rates(self) -> dict[str, float | None]:
        return {name: self.rate_of(name) for name in ("booked", "visited", "issued", "no_shows", "returned")}


def _primary(reservations: list[Reservation]) -> Reservation | None:
    """The booking that speaks for a letter: a visit first, then a live booking, then a no-show; latest first."""
    order = {
        Reservation.Status.DONE: 0,
        Reservation.Status.ARRIVED: 0,
        Reservation.Status.BOOKED: 1,
        Reservation.Status.NO_SHOW: 2,
    }
    ranked = sorted(
        reservations, key=lambda r: (order.get(Reservation.Status(r.status), 9), -r.created_at.timestamp(), -r.pk)
    )
    return ranked[0] if ranked else None


@dataclass(frozen=True)
class LetterOutcome:
    """What became of one letter: the figures of the funnel, one letter at a time."""

    booked: bool = False
    with_code: bool = False
    channel: str = ""  # "internet", "phone", "counter"; empty when not booked (or not known from kept figures)
    visited: bool = False
    issued: bool = False
    no_show: bool = False


def letter_outcomes(letters: QuerySet[Letter]) -> dict[int, LetterOutcome]:
    """What became of each letter, by its pk.

    From the live links (its code, its certificate, its resident) while they exist; once the retention job has cut
    them, from what was kept on the letter at that moment (Letter.outcome_*), so the figures stay the same.
    """
    rows = list(
        letters.values(
            "pk",
            "certificate_id",
            "resident_id",
            "invitation_id",
            "created_at",
            "outcome_kept_at",
            "outcome_booked",
            "outcome_with_code",
            "outcome_channel",
            "outcome_visited",
            "outcome_issued",
            "outcome_no_show",
        )
    )
    result: dict[int, LetterOutcome] = {}
    live = []
    for row in rows:
        if row["outcome_kept_at"] is None:
            live.append(row)
            continue
        result[row["pk"]] = LetterOutcome(
            booked=row["outcome_booked"],
            with_code=row["outcome_with_code"],
            channel=row["outcome_channel"] if row["outcome_booked"] else "",
            visited=row["outcome_visited"],
            issued=row["outcome_issued"],
            no_show=row["outcome_no_show"],
        )
    if not live:
        return result
    invitations = {r["invitation_id"] for r in live if r["invitation_id"]}
    certificates = {r["certificate_id"] for r in live if r["certificate_id"]}
    residents = {r["resident_id"] for r in live if r["resident_id"]}
    candidates = list(
        Reservation.objects.filter(procedure__in=letter_procedures())
        .exclude(status=Reservation.Status.CANCELLED)
        .filter(Q(invitation__in=invitations) | Q(certificate__in=certificates) | Q(resident__in=residents))
        .only("pk", "status", "channel", "invitation_id", "certificate_id", "resident_id", "created_at")
    )
    renewed = set(Certificate.objects.filter(renews__in=certificates).values_list("renews_id", flat=True))
    for letter in live:
        mine = [
            r
            for r in candidates
            if (letter["invitation_id"] and r.invitation_id == letter["invitation_id"])
            or (letter["certificate_id"] and r.certificate_id == letter["certificate_id"])
            or (
                letter["resident_id"]
                and r.resident_id == letter["resident_id"]
                and r.created_at >= letter["created_at"]
            )
        ]
        primary = _primary(mine)
        issued = letter["certificate_id"] is not None and letter["certificate_id"] in renewed
        visited = issued or any(r.status in VISITED for r in mine)
        result[letter["pk"]] = LetterOutcome(
            booked=primary is not None,
            with_code=primary is not None and primary.invitation_id == letter["invitation_id"],
            channel=CHANNEL_OF.get(Reservation.Channel(primary.channel), "internet") if primary is not None else "",
            visited=visited,
            issued=issued,
            no_show=not visited and any(r.status == Reservation.Status.NO_SHOW for r in mine),
        )
    return result


def funnel(letters: QuerySet[Letter], *, label: str) -> Funnel:
    """Letters → booked → visited → issued, no-shows and returns, for the letters of one month or batch."""
    statuses = list(letters.values_list("status", flat=True))
    mailed_statuses = (Letter.Status.MAILED, Letter.Status.RETURNED)
    result = Funnel(label=label, letters=len(statuses))
    result.mailed = sum(1 for s in statuses if s in mailed_statuses)
    result.returned = statuses.count(Letter.Status.RETURNED)
    result.withdrawn = statuses.count(Letter.Status.WITHDRAWN)
    result.already_booked = statuses.count(Letter.Status.ALREADY_BOOKED)
    if not result.mailed:
        return result
    for outcome in letter_outcomes(letters.filter(status__in=mailed_statuses)).values():
        if outcome.booked:
            result.booked += 1
            if outcome.with_code:
                result.booked_with_code += 1
            else:
                result.booked_without_code += 1
            if outcome.channel in result.by_channel:
                result.by_channel[outcome.channel] += 1
            if outcome.channel == "phone":
                if outcome.with_code:
                    result.phone_with_code += 1
                else:
                    result.phone_without_code += 1
        result.visited += outcome.visited
        result.issued += outcome.issued
        result.no_shows += outcome.no_show
    return result


def letters_of(office: Office | None) -> QuerySet[Letter]:
    """The letters inviting to one office (all of them for the city)."""
    return Letter.objects.all() if office is None else Letter.objects.filter(office=office)


def funnel_for_month(month: date, office: Office | None = None) -> Funnel:
    return funnel(letters_of(office).filter(batch__month=month_start(month)), label=month_label(month))


def funnel_for_batch(batch: NoticeBatch, office: Office | None = None) -> Funnel:
    return funnel(letters_of(office).filter(batch=batch), label=batch.label)


# --- the counter: visits of a calendar month ---------------------------------------------------------------


@dataclass
class Times:
    wait: list[float]
    service: list[float]

    @property
    def median_wait(self) -> float | None:
        return median(self.wait)

    @property
    def p90_wait(self) -> float | None:
        return percentile(self.wait, 90)

    @property
    def median_service(self) -> float | None:
        return median(self.service)

    @property
    def p90_service(self) -> float | None:
        return percentile(self.service, 90)


@dataclass
class CounterVisits:
    booked_visits: int
    walk_ins: int
    walk_ins_served: int
    walk_ins_turned_away: int
    # had_letter -> {"served": n, "turned_away": n}
    walk_ins_by_letter: dict[str, dict[str, int]]
    booked_times: Times
    walk_in_times: Times

    @property
    def visits(self) -> int:
        return self.booked_visits + self.walk_ins

    @property
    def booked_share(self) -> float | None:
        return rate(self.booked_visits, self.visits)


def _month_bounds(month: date) -> tuple[date, date]:
    start = month_start(month)
    return start, next_month(start)


def booked_visits(start: date, end: date, office: Office | None = None) -> QuerySet[Reservation]:
    return Reservation.objects.filter(
        procedure__in=letter_procedures(office), slot__day__gte=start, slot__day__lt=end, status__in=VISITED
    )


def walk_ins(start: date, end: date, office: Office | None = None) -> QuerySet[WalkIn]:
    return WalkIn.objects.filter(procedure__in=letter_procedures(office), day__gte=start, day__lt=end)


def counter_for_month(month: date, office: Office | None = None) -> CounterVisits:
    """Visits at the counter (one office's, or every office's) on the days of the month."""
    start, end = _month_bounds(month)
    booked_wait, booked_service = [], []
    visits = 0
    for r in (
        booked_visits(start, end, office)
        .select_related("slot")
        .only("arrived_at", "called_at", "done_at", "slot__day", "slot__start", "slot__end")
    ):
        visits += 1
        if r.arrived_at and r.called_at:
            # Someone who comes early for their appointment is not kept waiting by the office: the wait of a
            # booked visit starts at the later of the arrival and the appointment's start.
            booked_wait.append(_minutes(r.called_at, max(r.arrived_at, r.slot.starts_at)))
        if r.called_at and r.done_at:
            booked_service.append(_minutes(r.done_at, r.called_at))
    walk_wait, walk_service = [], []
    by_letter = {choice: {"served": 0, "turned_away": 0} for choice in WalkIn.HadLetter.values}
    served = turned_away = 0
    for w in walk_ins(start, end, office).only("at", "called_at", "done_at", "served", "had_letter"):
        key = "served" if w.served else "turned_away"
        by_letter.setdefault(w.had_letter, {"served": 0, "turned_away": 0})[key] += 1
        if w.served:
            served += 1
        else:
            turned_away += 1
        if w.called_at:
            walk_wait.append(_minutes(w.called_at, w.at))
        if w.called_at and w.done_at:
            walk_service.append(_minutes(w.done_at, w.called_at))
    return CounterVisits(
        booked_visits=visits,
        walk_ins=served + turned_away,
        walk_ins_served=served,
        walk_ins_turned_away=turned_away,
        walk_ins_by_letter=by_letter,
        booked_times=Times(booked_wait, booked_service),
        walk_in_times=Times(walk_wait, walk_service),
    )


@dataclass
class BeforeAfterRow:
    month: date
    booked_visits: int
    walk_ins: int
    letters_mailed: int

    @property
    def label(self) -> str:
        return month_label(self.month)

    @property
    def visits(self) -> int:
        return self.booked_visits + self.walk_ins

    @property
    def booked_share(self) -> float | None:
        return rate(self.booked_visits, self.visits)

    @property
    def walk_in_share(self) -> float | None:
        return rate(self.walk_ins, self.visits)


def first_letters_month(office: Office | None = None) -> date | None:
    """The month the first letters (to one office's residents, or to anyone) were mailed (by their mailing date)."""
    batches = NoticeBatch.objects.filter(mailed_on__isnull=False)
    if office is not None:
        batches = batches.filter(letters__office=office)
    first = batches.order_by("mailed_on").values_list("mailed_on", flat=True).first()
    return month_start(first) if first else None


def before_after(until: date, months: int = 12, office: Office | None = None) -> list[BeforeAfterRow]:
    """Booked versus walk-in visits for each of the `months` months up to `until`, letters or not."""
    last = month_start(until)
    first = month_start(months_before(last, months - 1))
    booked = Counter(
        month_start(day) for day in booked_visits(first, next_month(last), office).values_list("slot__day", flat=True)
    )
    walked = Counter(
        month_start(day) for day in walk_ins(first, next_month(last), office).values_list("day", flat=True)
    )
    mailed = Counter(
        month_start(day)
        for day in letters_of(office)
        .filter(
            status__in=[Letter.Status.MAILED, Letter.Status.RETURNED],
            batch__mailed_on__gte=first,
            batch__mailed_on__lt=next_month(last),
        )
        .values_list("batch__mailed_on", flat=True)
        if day is not None
    )
    rows = []
    month = first
    while month <= last:
        rows.append(BeforeAfterRow(month, booked[month], walked[month], mailed[month]))
        month = next_month(month)
    return rows


# --- photos ------------------------------------------------------------------------------------------------


@dataclass
class Photos:
    refusals: int
    refused: int  # not issued on that visit
    delayed: int  # issued on that visit after a new photo
    issued_with_photo: int
    age_buckets: list[tuple[str, int]]
    median_age_days: float | None
    reuse_warnings: int


def photo_age_bucket(photo_taken_on: date, issued_on: date) -> int:
    """0 for a photo less than a month old at issue, 1 for one to two months, … 6 for older than six months."""
    for months in range(1, 7):
        if photo_taken_on > months_before(issued_on, months):
            return months - 1
    return 6


def certificates_issued_at(office: Office | None) -> QuerySet[Certificate]:
    """This procedure's certificates issued at one office: through a booking there, or, issued without a booking,
    to a resident who belongs to it (the main office has everyone without an office of their own)."""
    issued = Certificate.objects.filter(kind__is_letter_kind=True)
    if office is None:
        return issued
    from_bookings = Reservation.objects.filter(issued_certificate=OuterRef("pk"))
    belongs = Q(resident__office_link__office=office)
    main = Office.main()
    if main is not None and main.pk == office.pk:
        belongs |= Q(resident__office_link__isnull=True)
    return issued.filter(
        Q(Exists(from_bookings.filter(procedure__office=office))) | (Q(~Exists(from_bookings)) & belongs)
    )


def photos_for_month(month: date, office: Office | None = None) -> Photos:
    start, end = _month_bounds(month)
    refused = delayed = 0
    for issued_id, kept in (
        Reservation.objects.filter(
            procedure__in=letter_procedures(office),
            slot__day__gte=start,
            slot__day__lt=end,
            photo_refused_at__isnull=False,
        )
        .exclude(status=Reservation.Status.CANCELLED)
        .values_list("issued_certificate_id", "issued_kept")
    ):
        if issued_id or kept:
            delayed += 1
        else:
            refused += 1
    for served in walk_ins(start, end, office).filter(photo_too_old=True).values_list("served", flat=True):
        if served:
            delayed += 1
        else:
            refused += 1
    issued = list(
        certificates_issued_at(office)
        .filter(issued_on__gte=start, issued_on__lt=end, photo_taken_on__isnull=False)
        .values_list("photo_taken_on", "issued_on", "renews__photo_taken_on", "renews__issued_on")
    )
    buckets = [0] * len(PHOTO_AGE_BUCKETS)
    ages = []
    reuse = 0
    for taken, issued_on, previous_photo, previous_issue in issued:
        if taken is None:  # excluded by the query; kept for the type checker
            continue
        buckets[photo_age_bucket(taken, issued_on)] += 1
        ages.append((issued_on - taken).days)
        # The same test the issue form warns with: a photo no newer than the previous certificate's.
        if previous_issue is not None and (taken == previous_photo or taken <= previous_issue):
            reuse += 1
    return Photos(
        refusals=refused + delayed,
        refused=refused,
        delayed=delayed,
        issued_with_photo=len(issued),
        age_buckets=list(zip(PHOTO_AGE_BUCKETS, buckets, strict=True)),
        median_age_days=median(ages),
        reuse_warnings=reuse,
    )


# --- complaints and the survey -------------------------------------------------------------------------


def complaints_for_month(month: date) -> dict[str, int]:
    """Complaints received in the month by category: every category in use, with its zero, then retired ones."""
    start, end = _month_bounds(month)
    counts = Counter(
        Complaint.objects.filter(received_on__gte=start, received_on__lt=end).values_list("category_id", flat=True)
    )
    result = {}
    for category in ComplaintCategory.objects.all():
        if category.active or counts[category.pk]:
            result[category.name] = counts[category.pk]
    return result


@dataclass
class Survey:
    responses: int
    mean_satisfaction: float | None
    satisfaction: list[tuple[str, int]]
    how_booked: list[tuple[str, int]]
    letter_helped: list[tuple[str, int]]
    wait: list[tuple[str, int]]
    by_source: list[tuple[str, int]]
    comments: list[SurveyResponse]


def _distribution(values: list[str], choices: Any) -> list[tuple[str, int]]:
    counts = Counter(values)
    rows = [(label, counts[value]) for value, label in choices]
    rows.append(("無回答", counts[""]))
    return rows


def survey_for_month(month: date) -> Survey:
    start, end = _month_bounds(month)
    answers = list(
        SurveyResponse.objects.filter(submitted_at__date__gte=start, submitted_at__date__lt=end).order_by(
            "submitted_at", "pk"
        )
    )
    scores = [a.satisfaction for a in answers if a.satisfaction is not None]
    score_counts = Counter(scores)
    return Survey(
        responses=len(answers),
        mean_satisfaction=round(statistics.fmean(scores), 2) if scores else None,
        satisfaction=[(str(score), score_counts[score]) for score in range(1, 6)]
        + [("無回答", len(answers) - len(scores))],
        how_booked=_distribution([a.how_booked for a in answers], SurveyResponse.HowBooked.choices),
        letter_helped=_distribution([a.letter_helped for a in answers], SurveyResponse.LetterHelped.choices),
        wait=_distribution([a.wait for a in answers], SurveyResponse.Wait.choices),
        by_source=[
            (label, sum(1 for a in answers if a.source == value)) for value, label in SurveyResponse.Source.choices
        ],
        comments=[a for a in answers if a.comment.strip()],
    )


# --- the whole month -------------------------------------------------------------------------------------


@dataclass
class MonthReport:
    month: date
    letters: Funnel
    batches: list[Funnel]
    counter: CounterVisits
    photos: Photos
    complaints: dict[str, int]
    survey: Survey
    # One office's figures; None for the whole city. Complaints and the anonymous survey are the city's either way.
    office: Office | None = None

    @property
    def label(self) -> str:
        return month_label(self.month)

    @property
    def office_label(self) -> str:
        return self.office.name if self.office is not None else "市全体"

    def as_dict(self) -> dict[str, Any]:
        """The figures for the city's own analysis; the keys are a public interface, keep them stable."""
        f = self.letters
        has_letters = f.mailed > 0

        def letter_figure(value: int) -> int | None:
            return value if has_letters else None

        def minutes(value: float | None) -> float | None:
            return round(value, 1) if value is not None else None

        def share(value: float | None) -> float | None:
            return round(value, 4) if value is not None else None

        c = self.counter
        return {
            "month": f"{self.month:%Y-%m}",
            "office": self.office.name if self.office is not None else None,
            "letters_mailed": f.mailed,
            "letters_returned": letter_figure(f.returned),
            "letters_withdrawn": letter_figure(f.withdrawn),
            "booked": letter_figure(f.booked),
            "booked_by_channel": dict(f.by_channel) if has_letters else None,
            "booked_with_code": letter_figure(f.booked_with_code),
            "booked_without_code": letter_figure(f.booked_without_code),
            "phone_with_code": letter_figure(f.phone_with_code),
            "phone_without_code": letter_figure(f.phone_without_code),
            "visited": letter_figure(f.visited),
            "issued": letter_figure(f.issued),
            "no_shows": letter_figure(f.no_shows),
            "booked_rate": share(f.rate_of("booked")),
            "visited_rate": share(f.rate_of("visited")),
            "issued_rate": share(f.rate_of("issued")),
            "no_show_rate": share(f.rate_of("no_shows")),
            "returned_rate": share(f.rate_of("returned")),
            "booked_visits": c.booked_visits,
            "walk_ins_served": c.walk_ins_served,
            "walk_ins_turned_away": c.walk_ins_turned_away,
            "walk_ins_with_letter": sum(c.walk_ins_by_letter.get(WalkIn.HadLetter.YES, {}).values()),
            "booked_share_of_visits": share(c.booked_share),
            "median_wait_minutes_booked": minutes(c.booked_times.median_wait),
            "median_wait_minutes_walk_in": minutes(c.walk_in_times.median_wait),
            "p90_wait_minutes_booked": minutes(c.booked_times.p90_wait),
            "p90_wait_minutes_walk_in": minutes(c.walk_in_times.p90_wait),
            "median_service_minutes_booked": minutes(c.booked_times.median_service),
            "median_service_minutes_walk_in": minutes(c.walk_in_times.median_service),
            "p90_service_minutes_booked": minutes(c.booked_times.p90_service),
            "p90_service_minutes_walk_in": minutes(c.walk_in_times.p90_service),
            "photo_refusals": self.photos.refusals,
            "photo_refused_not_issued": self.photos.refused,
            "photo_refused_then_issued": self.photos.delayed,
            "photo_reuse_warnings": self.photos.reuse_warnings,
            "median_photo_age_days_at_issue": self.photos.median_age_days,
            "complaints_by_category": dict(self.complaints),
            "survey_responses": self.survey.responses,
            "survey_mean_satisfaction": self.survey.mean_satisfaction,
        }


def month_report(month: date, office: Office | None = None) -> MonthReport:
    """The month's figures for the whole city, or for one office (its letters, its counter, its issues)."""
    month = month_start(month)
    batches = NoticeBatch.objects.filter(month=month).order_by("sequence", "office_id")
    if office is not None:
        batches = batches.filter(letters__office=office).distinct()
    return MonthReport(
        month=month,
        letters=funnel_for_month(month, office),
        batches=[funnel_for_batch(b, office) for b in batches],
        counter=counter_for_month(month, office),
        photos=photos_for_month(month, office),
        complaints=complaints_for_month(month),
        survey=survey_for_month(month),
        office=office,
    )


def flatten(figures: dict[str, Any]) -> dict[str, Any]:
    """One level of keys for a CSV row: nested dicts become "outer.inner"."""
    flat: dict[str, Any] = {}
    for key, value in figures.items():
        if isinstance(value, dict):
            for inner, inner_value in value.items():
                flat[f"{key}.{inner}"] = inner_value
        elif value is None and key == "booked_by_channel":
            for channel in CHANNELS:
                flat[f"{key}.{channel}"] = None
        else:
            flat[key] = value
    return flat
