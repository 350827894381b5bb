"""A small office month, counted by hand, for the outcome report (October 2026).

Letters for October (batch mailed on 1 September 2026):

| letter | status   | what happened                                                                 |
|--------|----------|-------------------------------------------------------------------------------|
| L1     | mailed   | booked online with the code; came; issued (photo 15 days old)                 |
| L2     | mailed   | phoned and gave the code; did not come (no-show)                              |
| L3     | mailed   | phoned without the code, booking names the certificate; came; photo too old |
| L4     | mailed   | booked online without the code, as the resident, after the letter; not yet  |
| L5     | returned | nothing                                                                       |
| L6     | mailed   | no booking; walked in and was issued (photo 5 months old)                     |
| L7     | mailed   | booked at the counter with the code, then cancelled                           |
| L8     | prepared | (not mailed) booked online with the code: not counted                          |
| L9     | mailed   | the resident had booked before the letter, without code or certificate        |

So: mailed 8, returned 1, booked 4 (internet 2, phone 2: with code 1, without 1; counter 0; with code 2, without
2), visited 3 (L1, L3, L6), issued 2 (L1, L6), no-shows 1 (L2).

October at the counter (procedure of the letters' kind):
- booked visits: L1 (slot 10:00, arrived 9:50, called 10:05, done 10:20 → wait 5, service 15), L3 (10:30; 10:35,
  10:45, 10:55 → wait 10, service 10), a booking without letter (14:00; 14:10, 14:30, 14:40 → wait 20, service 10),
  one arrived and not timed, L9's booking (arrived, untimed) — 5 visits; waits [5, 10, 20] → median 10, p90 20;
  service [15, 10, 10] → median 10, p90 15. A September visit and a cancelled October booking do not count.
- walk-ins: W1 served, had the letter, 9:00 → called 9:30 → done 9:50 (30, 20); W2 served, no letter, 10:00 →
  10:12 → 10:20 (12, 8); W3 turned away, had the letter; W4 turned away, unknown; W5 served, unknown, photo too old,
  13:00 → 13:45 → 14:00 (45, 15). Waits [30, 12, 45] → median 30, p90 45; service [20, 8, 15] → median 15, p90 20.
  A walk-in on 1 November does not count.
- booked share of visits: 5 / (5 + 5) = 0.5.
- photo refusals: L3 (not issued) + W5 (served) = 2: refused 1, delayed 1.
- issued with a photo: L1 (15 days, bucket 0), L6 (2026-05-10 for 2026-10-10: bucket 5, 153 days), a renewal
  with the previous photo again (2026-04-25 for 2026-10-20: bucket 5, 178 days, reuse warning) → median 153 days,
  one reuse warning.
- complaints: 予約が面倒 2, 待ち時間 1, a retired category 1; one September complaint not counted.
- survey: satisfaction 5, 4 and no answer → 3 responses, mean 4.5; one comment. An answer at 00:30 on
  1 November (Tokyo) belongs to November.
"""

from __future__ import annotations

from datetime import date, datetime, time
from zoneinfo import ZoneInfo

from certificates.models import Certificate
from notices.models import Complaint, ComplaintCategory, Letter, NoticeBatch, SurveyResponse
from reservations.models import Invitation, Reservation, WalkIn
from tests import factories

JST = ZoneInfo("Asia/Tokyo")
OCTOBER = date(2026, 10, 1)


def at(day: date, hh: int, mm: int) -> datetime:
    return datetime.combine(day, time(hh, mm), tzinfo=JST)


class Office:
    """Builds the month; keeps the letters and the users for the tests."""

    def __init__(self, clerk) -> None:
        self.clerk = clerk
        self.proc = factories.procedure()
        self.batch = NoticeBatch.objects.create(
            month=OCTOBER, status=NoticeBatch.Status.MAILED, mailed_on=date(2026, 9, 1), letter_count=9
        )
        self.letters: dict[str, Letter] = {}
        self._numbers = iter(range(1, 1000))

    def letter(self, name: str, status: str = Letter.Status.MAILED, *, issued_on: date = date(2026, 4, 12)) -> Letter:
        resident = factories.resident()
        cert = factories.certificate(resident, issued_on=issued_on)
        invitation = Invitation.objects.create(
            code=f"CODE{name}", resident=resident, certificate=cert, procedure=self.proc, valid_until=date(2026, 11, 30)
        )
        letter = Letter.objects.create(
            batch=self.batch,
            certificate=cert,
            resident=resident,
            invitation=invitation,
            office=self.proc.office,
            postal_code=resident.postal_code,
            address=resident.address,
            name=resident.full_name,
            expires_on=cert.expires_on,
            status=status,
            status_reason={Letter.Status.RETURNED: "宛先不明", Letter.Status.WITHDRAWN: "資格の確認で対象外"}.get(
                status, ""
            ),
            created_at=at(date(2026, 8, 25), 9, 0),
        )
        self.letters[name] = letter
        return letter

    def reservation(
        self,
        day: date,
        start: time,
        *,
        channel: str = Reservation.Channel.WEB,
        status: str = Reservation.Status.BOOKED,
        letter: Letter | None = None,
        with_code: bool = False,
        link: str = "",
        created: datetime | None = None,
        times: tuple[tuple[int, int], ...] | None = None,
        **extra,
    ) -> Reservation:
        n = next(self._numbers)
        slot = factories.slot(day, start, proc=self.proc)
        r = Reservation.objects.create(
            number=f"R{n:07d}",
            token=f"token-{n}",
            procedure=self.proc,
            slot=slot,
            status=status,
            channel=channel,
            family_name="予約",
            given_name="者",
            family_name_kana="ヨヤク",
            given_name_kana="シャ",
            phone="090-0000-0000",
            phone_digits="09000000000",
            invitation=letter.invitation if letter and with_code else None,
            certificate=letter.certificate if letter and (with_code or link == "certificate") else None,
            resident=letter.resident if letter and (with_code or link == "resident") else None,
            created_at=created or at(date(2026, 9, 10), 12, 0),
            **extra,
        )
        if times:
            (ah, am), (ch, cm), (dh, dm) = times
            r.arrived_at, r.called_at, r.done_at = at(day, ah, am), at(day, ch, cm), at(day, dh, dm)
            r.save(update_fields=["arrived_at", "called_at", "done_at"])
        return r

    def renew(self, letter_or_cert, issued_on: date, photo: date) -> Certificate:
        old = letter_or_cert.certificate if isinstance(letter_or_cert, Letter) else letter_or_cert
        return factories.certificate(old.resident, issued_on=issued_on, renews=old, photo_taken_on=photo)

    def walk_in(self, day: date, hh: int, mm: int, *, served: bool, had_letter: str, **extra) -> WalkIn:
        return WalkIn.objects.create(
            procedure=self.proc,
            day=day,
            at=at(day, hh, mm),
            served=served,
            had_letter=had_letter,
            recorded_by=self.clerk,
            **extra,
        )


def build(clerk) -> Office:
    o = Office(clerk)
    d5, d8, d12, d20, d30 = (date(2026, 10, n) for n in (5, 8, 12, 20, 30))
    phone, counter = Reservation.Channel.PHONE, Reservation.Channel.COUNTER
    done, arrived = Reservation.Status.DONE, Reservation.Status.ARRIVED

    l1 = o.letter("L1")
    r1 = o.reservation(d5, time(10, 0), letter=l1, with_code=True, status=done, times=((9, 50), (10, 5), (10, 20)))
    r1.issued_certificate = o.renew(l1, d5, date(2026, 9, 20))
    r1.save(update_fields=["issued_certificate"])

    l2 = o.letter("L2")
    o.reservation(d8, time(9, 0), channel=phone, letter=l2, with_code=True, status=Reservation.Status.NO_SHOW)

    l3 = o.letter("L3")
    o.reservation(
        d8,
        time(10, 30),
        channel=phone,
        letter=l3,
        link="certificate",
        status=done,
        times=((10, 35), (10, 45), (10, 55)),
        photo_refused_at=at(d8, 10, 50),
    )

    l4 = o.letter("L4")
    o.reservation(d30, time(11, 0), letter=l4, link="resident", created=at(date(2026, 9, 3), 20, 0))

    o.letter("L5", Letter.Status.RETURNED)
    # Withdrawn before mailing (no longer eligible): counted apart, never as mailed.
    o.letter("L10", Letter.Status.WITHDRAWN)

    l6 = o.letter("L6")
    o.renew(l6, date(2026, 10, 10), date(2026, 5, 10))

    l7 = o.letter("L7")
    o.reservation(d12, time(9, 0), channel=counter, letter=l7, with_code=True, status=Reservation.Status.CANCELLED)

    l8 = o.letter("L8", Letter.Status.PREPARED)
    o.reservation(d12, time(10, 0), letter=l8, with_code=True)

    l9 = o.letter("L9")
    o.reservation(d12, time(11, 0), letter=l9, link="resident", created=at(date(2026, 8, 1), 9, 0), status=arrived)

    # Bookings that are not about a letter.
    o.reservation(d20, time(14, 0), status=done, times=((14, 10), (14, 30), (14, 40)))
    o.reservation(d20, time(15, 0), status=arrived)
    o.reservation(date(2026, 9, 30), time(9, 0), status=done, times=((9, 0), (9, 50), (10, 0)))
    o.reservation(d20, time(16, 0), status=Reservation.Status.CANCELLED)

    yes, no, unknown = WalkIn.HadLetter.YES, WalkIn.HadLetter.NO, WalkIn.HadLetter.UNKNOWN
    o.walk_in(d5, 9, 0, served=True, had_letter=yes, called_at=at(d5, 9, 30), done_at=at(d5, 9, 50))
    o.walk_in(d5, 10, 0, served=True, had_letter=no, called_at=at(d5, 10, 12), done_at=at(d5, 10, 20))
    o.walk_in(d8, 11, 0, served=False, had_letter=yes)
    o.walk_in(d8, 11, 5, served=False, had_letter=unknown)
    o.walk_in(
        d12,
        13,
        0,
        served=True,
        had_letter=unknown,
        photo_too_old=True,
        called_at=at(d12, 13, 45),
        done_at=at(d12, 14, 0),
    )
    o.walk_in(date(2026, 11, 2), 9, 0, served=True, had_letter=no)
    o.walk_in(date(2026, 3, 10), 9, 0, served=True, had_letter=no)

    # A renewal with the previous certificate's photo again.
    previous = factories.certificate(issued_on=date(2026, 5, 1), photo_taken_on=date(2026, 4, 25))
    o.renew(previous, d20, date(2026, 4, 25))

    categories = {c.name: c for c in ComplaintCategory.objects.all()}
    retired = ComplaintCategory.objects.create(name="古い区分", active=False, order=99)
    ComplaintCategory.objects.create(name="使わなくなった区分", active=False, order=98)
    for name, day in (("予約が面倒", d5), ("予約が面倒", d20), ("待ち時間", d30), ("予約が面倒", date(2026, 9, 30))):
        Complaint.objects.create(category=categories[name], received_on=day, recorded_by=clerk)
    Complaint.objects.create(category=retired, received_on=d8, recorded_by=clerk, channel=Complaint.Channel.PHONE)

    SurveyResponse.objects.create(
        submitted_at=at(d5, 11, 0), source=SurveyResponse.Source.EMAIL, satisfaction=5, how_booked="internet"
    )
    SurveyResponse.objects.create(
        submitted_at=at(d8, 11, 0), source=SurveyResponse.Source.CARD, satisfaction=4, comment="分かりやすかった"
    )
    SurveyResponse.objects.create(submitted_at=at(date(2026, 10, 31), 23, 30), source=SurveyResponse.Source.DONE_PAGE)
    SurveyResponse.objects.create(
        submitted_at=at(date(2026, 11, 1), 0, 30), source=SurveyResponse.Source.CARD, satisfaction=1
    )
    return o


EXPECTED = {
    "month": "2026-10",
    "office": None,
    "letters_mailed": 8,
    "letters_returned": 1,
    "letters_withdrawn": 1,
    "booked": 4,
    "booked_by_channel": {"internet": 2, "phone": 2, "counter": 0},
    "booked_with_code": 2,
    "booked_without_code": 2,
    "phone_with_code": 1,
    "phone_without_code": 1,
    "visited": 3,
    "issued": 2,
    "no_shows": 1,
    "booked_rate": 0.5,
    "visited_rate": 0.375,
    "issued_rate": 0.25,
    "no_show_rate": 0.125,
    "returned_rate": 0.125,
    "booked_visits": 5,
    "walk_ins_served": 3,
    "walk_ins_turned_away": 2,
    "walk_ins_with_letter": 2,
    "booked_share_of_visits": 0.5,
    "median_wait_minutes_booked": 10.0,
    "median_wait_minutes_walk_in": 30.0,
    "p90_wait_minutes_booked": 20.0,
    "p90_wait_minutes_walk_in": 45.0,
    "median_service_minutes_booked": 10.0,
    "median_service_minutes_walk_in": 15.0,
    "p90_service_minutes_booked": 15.0,
    "p90_service_minutes_walk_in": 20.0,
    "photo_refusals": 2,
    "photo_refused_not_issued": 1,
    "photo_refused_then_issued": 1,
    "photo_reuse_warnings": 1,
    "median_photo_age_days_at_issue": 153.0,
    "complaints_by_category": {
        "スマホ・インターネットが使えない": 0,
        "予約が面倒": 2,
        "電話がつながらない": 0,
        "手紙が分かりにくい": 0,
        "写真のルール": 0,
        "待ち時間": 1,
        "その他": 0,
        "古い区分": 1,
    },
    "survey_responses": 3,
    "survey_mean_satisfaction": 4.5,
}
