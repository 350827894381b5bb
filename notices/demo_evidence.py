"""A believable past year for the demo, so every figure and chart of the outcome report shows something.

The office counted walk-ins for seven months before the first letters; then letters went out each month,
residents booked online, by phone (with or without the letter's code) and at the counter, came (or not), were
timed at the counter, were sometimes sent away for an old photo; staff logged complaints and residents answered
the survey. Used by seed_demo only (DEBUG), never in production.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import F
from django.utils import timezone

from certificates import rules
from certificates.models import Certificate, CertificateKind, Resident
from notices.feedback import token_digest
from notices.models import Complaint, ComplaintCategory, Letter, NoticeBatch, SurveyResponse
from notices.report import month_start, next_month
from reservations import booking, calendar
from reservations.models import Invitation, Procedure, Reservation, ResidentOffice, Slot, WalkIn, random_code
from reservations.walk_ins import walk_in_mark, walk_in_record

BEFORE_LETTERS = 7  # months of walk-ins only
MONTHS = 12

FAMILY = [
    ("佐藤", "サトウ"),
    ("鈴木", "スズキ"),
    ("高橋", "タカハシ"),
    ("伊藤", "イトウ"),
    ("渡辺", "ワタナベ"),
    ("加藤", "カトウ"),
    ("斎藤", "サイトウ"),
    ("山崎", "ヤマザキ"),
    ("森田", "モリタ"),
    ("原田", "ハラダ"),
]
GIVEN = [
    ("明美", "アケミ"),
    ("正人", "マサト"),
    ("久美子", "クミコ"),
    ("浩", "ヒロシ"),
    ("優子", "ユウコ"),
    ("健一", "ケンイチ"),
    ("さくら", "サクラ"),
    ("勝", "マサル"),
    ("幸子", "サチコ"),
    ("翼", "ツバサ"),
]
COMMENTS = [
    "電話で予約できて助かりました。",
    "待たずに済んだのでよかったです。",
    "手紙の字が小さくて読みにくかったです。",
    "予約の画面が少し分かりにくかった。",
    "写真の期限を前もって知ることができてよかった。",
    "職員の方が親切でした。",
    "予約しなくても受け付けてほしい。",
]


@dataclass
class Built:
    months: int = 0
    letters: int = 0
    reservations: int = 0
    walk_ins: int = 0
    complaints: int = 0
    survey: int = 0


def _at(day: date, clock: time, minutes: float = 0) -> datetime:
    return timezone.make_aware(datetime.combine(day, clock)) + timedelta(minutes=minutes)


def _office_days(month: date, today: date) -> list[date]:
    end = min(next_month(month) - timedelta(days=1), today - timedelta(days=1))
    return calendar.office_days(month, end) if end >= month else []


class YearBuilder:
    def __init__(self, *, rng: random.Random, clerk, today: date) -> None:
        self.rng = rng
        self.clerk = clerk
        self.today = today
        self.kind = CertificateKind.objects.get(is_letter_kind=True)
        procedure = Procedure.objects.filter(certificate_kind=self.kind).order_by("pk").first()
        if procedure is None:
            raise RuntimeError("No procedure issues the letter certificate kind: run migrate first.")
        self.procedure = procedure
        # Every fourth letter invites to another office (a 支所) where there is one, so the report per office has
        # something to show; the rest go to the main office.
        self.branches = list(
            Procedure.objects.filter(certificate_kind=self.kind, is_active=True).exclude(office=procedure.office)
        )
        self.letters_made = 0
        self.built = Built()
        self.serial = 0

    # --- small helpers -----------------------------------------------------------------------------------

    def _resident(self) -> Resident:
        self.serial += 1
        family, family_kana = self.rng.choice(FAMILY)
        given, given_kana = self.rng.choice(GIVEN)
        phone = f"06-{self.rng.randint(2000, 9999)}-{self.rng.randint(1000, 9999)}"
        block = self.rng.randint(1, 5)
        return Resident.objects.create(
            family_name=family,
            given_name=given,
            family_name_kana=family_kana,
            given_name_kana=given_kana,
            birth_date=date(self.rng.randint(1950, 2000), self.rng.randint(1, 12), self.rng.randint(1, 28)),
            postal_code="552-0001",
            address=f"大阪府みなと市港町{block}丁目{self.rng.randint(1, 30)}番{self.rng.randint(1, 20)}号",
            phone=phone,
            phone_digits=phone.replace("-", ""),
            case_number=f"H{self.serial:05d}",
        )

    def _certificate(self, resident: Resident, issued_on: date, photo: date, renews: Certificate | None = None):
        certificate = Certificate.objects.create(
            resident=resident,
            kind=self.kind,
            number=f"tmp-{random_code(12)}",
            issued_on=issued_on,
            expires_on=rules.expiry_date(
                issued_on, self.kind.validity_months, count_issue_day=settings.CERTIFICATE_COUNT_ISSUE_DAY
            ),
            photo_taken_on=photo,
            issued_by=self.clerk,
            renews=renews,
        )
        Certificate.objects.filter(pk=certificate.pk).update(
            number=f"{self.kind.number_prefix}{issued_on:%Y}-D{certificate.pk:05d}"
        )
        return certificate

    def _slot(self, day: date, procedure: Procedure | None = None) -> Slot:
        start = time(self.rng.choice([9, 9, 10, 10, 11, 13, 14, 15, 16]), self.rng.choice([0, 30]))
        slot, _created = Slot.objects.get_or_create(
            procedure=procedure or self.procedure,
            day=day,
            start=start,
            defaults={"end": (datetime.combine(day, start) + timedelta(minutes=30)).time(), "places": 2},
        )
        Slot.objects.filter(pk=slot.pk).update(places=F("places") + 1, booked=F("booked") + 1)
        return slot

    def _reservation(
        self,
        *,
        resident: Resident,
        day: date,
        channel: str,
        status: str,
        invitation=None,
        certificate=None,
        created_at: datetime,
        procedure: Procedure | None = None,
    ) -> Reservation:
        procedure = procedure or self.procedure
        slot = self._slot(day, procedure)
        reservation = Reservation.objects.create(
            number=random_code(8),
            token=Reservation.new_token(),
            procedure=procedure,
            slot=slot,
            status=status,
            channel=channel,
            family_name=resident.family_name,
            given_name=resident.given_name,
            family_name_kana=resident.family_name_kana,
            given_name_kana=resident.given_name_kana,
            phone=resident.phone,
            phone_digits=resident.phone_digits,
            invitation=invitation,
            resident=resident if (invitation or certificate or self.rng.random() < 0.5) else None,
            certificate=certificate,
            created_at=created_at,
            created_by=None if channel == Reservation.Channel.WEB else self.clerk,
            status_changed_at=_at(day, slot.start, 30),
        )
        self.built.reservations += 1
        if status in (Reservation.Status.ARRIVED, Reservation.Status.DONE):
            arrived = _at(day, slot.start, -self.rng.uniform(0, 12))
            called = _at(day, slot.start, self.rng.choice([0, 1, 2, 3, 4, 5, 6, 8, 12]))
            done = called + timedelta(minutes=self.rng.uniform(8, 22))
            Reservation.objects.filter(pk=reservation.pk).update(arrived_at=arrived, called_at=called, done_at=done)
            reservation.arrived_at, reservation.called_at, reservation.done_at = arrived, called, done
        return reservation

    def _walk_in(self, day: date, *, letters_started: bool) -> None:
        clock = time(self.rng.randint(9, 15), self.rng.choice([0, 10, 20, 30, 40, 50]))
        served = self.rng.random() < (0.55 if letters_started else 0.85)
        had_letter = (
            self.rng.choice([WalkIn.HadLetter.YES, WalkIn.HadLetter.NO, WalkIn.HadLetter.UNKNOWN])
            if letters_started
            else WalkIn.HadLetter.NO
        )
        arrived = _at(day, clock)
        called = arrived + timedelta(minutes=self.rng.uniform(15, 70)) if served else None
        WalkIn.objects.create(
            procedure=self.procedure,
            day=day,
            at=arrived,
            served=served,
            had_letter=had_letter,
            photo_too_old=self.rng.random() < 0.12,
            called_at=called,
            done_at=called + timedelta(minutes=self.rng.uniform(12, 35)) if called else None,
            recorded_by=self.clerk,
            note="" if served else self.rng.choice(["担当者が不在のため", "時間外のため", "写真が古いため"]),
        )
        self.built.walk_ins += 1

    # --- the year ----------------------------------------------------------------------------------------

    def month_walk_ins(self, month: date, *, letters_started: bool) -> None:
        days = _office_days(month, self.today)
        count = self.rng.randint(2, 5) if letters_started else self.rng.randint(12, 18)
        for _ in range(count if days else 0):
            self._walk_in(self.rng.choice(days), letters_started=letters_started)

    def batch(self, target: date) -> None:
        """Letters for certificates expiring in `target`, mailed early the month before, and what came of them."""
        mailed_on = calendar.next_office_day(month_start(target - timedelta(days=1)) + timedelta(days=3)) or target
        batch = NoticeBatch.objects.create(
            month=target,
            status=NoticeBatch.Status.MAILED,
            prepared_at=_at(mailed_on - timedelta(days=4), time(6, 0)),
            mailed_on=mailed_on,
            mailed_by=self.clerk,
        )
        count = self.rng.randint(16, 22)
        for _ in range(count):
            self._letter(batch, target, mailed_on)
        NoticeBatch.objects.filter(pk=batch.pk).update(letter_count=count)

    def _letter(self, batch: NoticeBatch, target: date, mailed_on: date) -> None:
        rng = self.rng
        resident = self._resident()
        expires = target + timedelta(days=rng.randint(0, 27))
        issued = rules.months_before(expires, self.kind.validity_months)
        photo_age = rng.randint(0, 3) if rng.random() < 0.3 else rng.randint(5, 60)
        old = self._certificate(resident, issued, issued - timedelta(days=photo_age))
        self.letters_made += 1
        procedure = self.procedure
        if self.branches and self.letters_made % 4 == 0:
            procedure = self.branches[self.letters_made // 4 % len(self.branches)]
            ResidentOffice.objects.create(resident=resident, office=procedure.office)
        invitation = Invitation.objects.create(
            code=random_code(8),
            resident=resident,
            certificate=old,
            procedure=procedure,
            valid_until=old.expires_on + timedelta(days=30),
            created_at=_at(mailed_on, time(6, 0), -60 * 24 * 3),
        )
        returned = rng.random() < 0.05
        Letter.objects.create(
            batch=batch,
            certificate=old,
            resident=resident,
            invitation=invitation,
            office=procedure.office,
            postal_code=resident.postal_code,
            address=resident.address,
            name=resident.full_name,
            expires_on=old.expires_on,
            status=Letter.Status.RETURNED if returned else Letter.Status.MAILED,
            status_reason="宛所に尋ねあたりません" if returned else "",
            created_at=_at(mailed_on, time(6, 0), -60 * 24 * 3),
        )
        self.built.letters += 1
        if returned:
            return
        visit_days = [d for d in calendar.office_days(mailed_on + timedelta(days=5), old.expires_on) if d < self.today]
        if not visit_days:
            return
        day = rng.choice(visit_days)
        roll = rng.random()
        created = _at(mailed_on, time(rng.randint(8, 21), rng.choice([0, 15, 30, 45])), 60 * 24 * rng.randint(1, 10))
        if roll < 0.72:
            channel_roll = rng.random()
            if channel_roll < 0.62:
                channel, with_code = Reservation.Channel.WEB, rng.random() < 0.85
            elif channel_roll < 0.9:
                channel, with_code = Reservation.Channel.PHONE, rng.random() < 0.7
            else:
                channel, with_code = Reservation.Channel.COUNTER, True
            status = Reservation.Status.DONE if rng.random() < 0.88 else Reservation.Status.NO_SHOW
            reservation = self._reservation(
                resident=resident,
                day=day,
                channel=channel,
                status=status,
                invitation=invitation if with_code else None,
                procedure=procedure,
                certificate=old if (with_code or rng.random() < 0.6) else None,
                created_at=min(created, _at(day, time(9, 0), -60 * 24)),
            )
            if with_code:
                Invitation.objects.filter(pk=invitation.pk).update(used_at=reservation.created_at)
            if status == Reservation.Status.DONE:
                self._issue(old, day, reservation=reservation)
        elif roll < 0.85:
            # No booking: came anyway, with the letter in hand.
            served = rng.random() < 0.6
            arrived = _at(day, time(rng.randint(9, 15), rng.choice([0, 20, 40])))
            called = arrived + timedelta(minutes=rng.uniform(20, 60)) if served else None
            WalkIn.objects.create(
                procedure=procedure,
                day=day,
                at=arrived,
                served=served,
                had_letter=WalkIn.HadLetter.YES,
                called_at=called,
                done_at=called + timedelta(minutes=rng.uniform(12, 30)) if called else None,
                recorded_by=self.clerk,
                note="" if served else "担当者が不在のため",
            )
            self.built.walk_ins += 1
            if served:
                self._issue(old, day)

    def _issue(self, old: Certificate, day: date, *, reservation: Reservation | None = None) -> None:
        rng = self.rng
        earliest = rules.earliest_photo_date(day, self.kind.photo_max_age_months)
        roll = rng.random()
        if reservation is not None and roll < 0.08:
            # An old photo: sent to the photo booth downstairs and issued the same visit, or asked to come back.
            Reservation.objects.filter(pk=reservation.pk).update(photo_refused_at=reservation.called_at)
            if rng.random() < 0.5:
                return
            photo = day
        elif roll < 0.13 and old.photo_taken_on and old.photo_taken_on >= earliest:
            photo = old.photo_taken_on  # the previous certificate's photo again
        else:
            photo = day - timedelta(days=int(rng.triangular(0, (day - earliest).days, 20)))
        certificate = self._certificate(old.resident, day, photo, renews=old)
        if reservation is not None:
            Reservation.objects.filter(pk=reservation.pk).update(issued_certificate=certificate)

    def complaints(self, month: date, *, letters_started: bool) -> None:
        days = _office_days(month, self.today)
        if not days:
            return
        categories = {c.name: c for c in ComplaintCategory.objects.filter(active=True)}
        weights = (
            {
                "予約が面倒": 3,
                "電話がつながらない": 1,
                "手紙が分かりにくい": 1,
                "写真のルール": 1,
                "待ち時間": 1,
                "その他": 1,
            }
            if letters_started
            else {"待ち時間": 4, "写真のルール": 1, "その他": 1}
        )
        names = [n for n in weights if n in categories]
        for _ in range(self.rng.randint(1, 4)):
            name = self.rng.choices(names, [weights[n] for n in names])[0]
            Complaint.objects.create(
                category=categories[name],
                channel=self.rng.choice(
                    [Complaint.Channel.COUNTER, Complaint.Channel.COUNTER, Complaint.Channel.PHONE]
                ),
                received_on=self.rng.choice(days),
                text="",
                recorded_by=self.clerk,
            )
            self.built.complaints += 1

    def survey(self, month: date) -> None:
        rng = self.rng
        done = list(
            Reservation.objects.filter(
                procedure=self.procedure,
                status=Reservation.Status.DONE,
                slot__day__gte=month,
                slot__day__lt=next_month(month),
            ).select_related("slot")
        )
        for reservation in rng.sample(done, k=min(len(done), rng.randint(3, 8))):
            SurveyResponse.objects.create(
                submitted_at=min(_at(reservation.slot.day, time(18, 0), rng.randint(0, 60 * 24)), timezone.now()),
                source=rng.choice(
                    [SurveyResponse.Source.EMAIL, SurveyResponse.Source.DONE_PAGE, SurveyResponse.Source.CARD]
                ),
                token_digest=token_digest(reservation.token),
                how_booked={"web": "internet", "phone": "phone", "counter": "counter"}[reservation.channel],
                letter_helped=rng.choices(["yes", "no", "no_letter", ""], [6, 1, 1, 1])[0],
                wait=rng.choices(["under_5", "5_15", "15_30"], [6, 3, 1])[0],
                satisfaction=rng.choices([5, 4, 3, 2, None], [5, 4, 2, 1, 1])[0],
                comment=rng.choice(COMMENTS) if rng.random() < 0.35 else "",
            )
            self.built.survey += 1


@transaction.atomic
def build_year(*, rng: random.Random, clerk, today: date) -> Built | None:
    """Build the past year once; a second run (seed_demo is idempotent) leaves it alone."""
    if NoticeBatch.objects.filter(mailed_on__isnull=False).exists() or WalkIn.objects.exists():
        return None
    builder = YearBuilder(rng=rng, clerk=clerk, today=today)
    if builder.procedure is None:
        return None
    first = month_start(rules.months_before(month_start(today), MONTHS - 1))
    month = first
    index = 0
    while month <= month_start(today):
        letters_started = index >= BEFORE_LETTERS
        builder.month_walk_ins(month, letters_started=letters_started)
        builder.complaints(month, letters_started=letters_started)
        if index >= BEFORE_LETTERS - 1:
            # Letters mailed in this month are about the next month's expiries.
            target = next_month(month)
            mailed_on = calendar.next_office_day(month + timedelta(days=3))
            if mailed_on is not None and mailed_on < today:
                builder.batch(target)
        month = next_month(month)
        index += 1
        builder.built.months += 1
    month = first
    while month <= month_start(today):
        builder.survey(month)
        month = next_month(month)
    return builder.built


@dataclass
class Today:
    bookings: int = 0
    timed: int = 0
    walk_ins: int = 0


def today_so_far(*, rng: random.Random, clerk, now: datetime) -> Today:
    """Today's counter up to `now`, through the same services the day list calls: bookings phoned in yesterday for
    the slots that have already started, each marked arrived, called and done at its time (or a no-show), and a few
    walk-ins called and served; so the day list and this month's waiting times show something on the demo.

    Once: nothing is added when today already has a visit on record."""
    made = Today()
    today = timezone.localdate(now)
    if Reservation.objects.filter(slot__day=today, arrived_at__isnull=False).exists():
        return made
    if WalkIn.objects.filter(day=today).exists():
        return made
    booked_at = _at(today, time(12, 0), -60 * 24)
    for procedure in Procedure.objects.filter(is_active=True, certificate_kind__is_letter_kind=True).order_by("id"):
        if not calendar.is_office_day(today, procedure.office):
            continue  # a weekend, a holiday or this office's closure: nobody came
        ack_ids = [a.pk for a in procedure.acknowledgements_to_agree()]
        for slot in Slot.objects.filter(procedure=procedure, day=today, places__gt=0).order_by("start"):
            start = slot.starts_at
            if start >= now:
                break
            if rng.random() < 0.25:
                continue
            family, family_kana = rng.choice(FAMILY)
            given, given_kana = rng.choice(GIVEN)
            phone = f"090-{rng.randint(1000, 9999)}-{rng.randint(1000, 9999)}"
            try:
                reservation = booking.reservation_book(
                    procedure=procedure,
                    slot_id=slot.pk,
                    contact=booking.Contact(family, given, family_kana, given_kana, phone),
                    acknowledged=ack_ids,
                    channel=Reservation.Channel.PHONE,
                    user=clerk,
                    now=booked_at,
                )
            except ValidationError:  # a slot the rota leaves without a place is simply skipped
                continue
            made.bookings += 1
            arrived = start - timedelta(minutes=rng.uniform(0, 10))
            called = start + timedelta(minutes=rng.choice([0, 1, 2, 3, 5, 8, 12]))
            done = called + timedelta(minutes=rng.uniform(8, 20))
            if arrived > now:
                continue
            if rng.random() < 0.1 and now - start > timedelta(minutes=30):
                booking.reservation_set_status(
                    reservation=reservation,
                    status=Reservation.Status.NO_SHOW,
                    user=clerk,
                    now=start + timedelta(minutes=30),
                )
                continue
            booking.reservation_set_status(
                reservation=reservation, status=Reservation.Status.ARRIVED, user=clerk, now=arrived
            )
            if called <= now:
                booking.reservation_mark_called(reservation=reservation, user=clerk, now=called)
                made.timed += 1
                if done <= now:
                    booking.reservation_set_status(
                        reservation=reservation, status=Reservation.Status.DONE, user=clerk, now=done
                    )
        opening = _at(today, time(9, 0))
        for _ in range(rng.randint(1, 3)):
            arrived = opening + timedelta(minutes=rng.uniform(0, 240))
            if arrived > now:
                continue
            served = rng.random() < 0.7
            walk_in = walk_in_record(
                procedure=procedure,
                user=clerk,
                served=served,
                note="" if served else "担当者が不在のため",
                had_letter=rng.choice([WalkIn.HadLetter.YES, WalkIn.HadLetter.NO]),
                now=arrived,
            )
            made.walk_ins += 1
            called = arrived + timedelta(minutes=rng.uniform(10, 45))
            if served and called <= now:
                walk_in_mark(walk_in=walk_in, step="called", now=called)
                done = called + timedelta(minutes=rng.uniform(10, 25))
                if done <= now:
                    walk_in_mark(walk_in=walk_in, step="done", now=done)
    return made
