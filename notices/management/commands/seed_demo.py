"""Load realistic demo data, so the product can be tried without real residents.

Idempotent: run it again and nothing is duplicated. Refuses to run with DEBUG off, so it cannot touch a
production database by mistake.
"""

from __future__ import annotations

import random
from datetime import date, time, timedelta

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django.utils import timezone

from certificates import jp, services
from certificates.models import Certificate, CertificateKind, Resident, ResidentCategory
from certificates.rules import add_months
from notices.demo_evidence import build_year, today_so_far
from notices.services import default_target_month
from reservations import calendar, staffing
from reservations.booking import Contact, reservation_book
from reservations.models import (
    DutyException,
    DutyPattern,
    Office,
    Procedure,
    Qualification,
    Reservation,
    ResidentOffice,
    Slot,
)
from reservations.offices import office_procedure_copy
from reservations.slots import slots_generate_all
from staff.otp import enrolment_link_issue
from staff.roles import has_second_factor

FAMILY = [
    ("田中", "タナカ"),
    ("山本", "ヤマモト"),
    ("中村", "ナカムラ"),
    ("小林", "コバヤシ"),
    ("吉田", "ヨシダ"),
    ("山田", "ヤマダ"),
    ("松本", "マツモト"),
    ("井上", "イノウエ"),
    ("木村", "キムラ"),
    ("林", "ハヤシ"),
    ("清水", "シミズ"),
    ("山口", "ヤマグチ"),
    ("森", "モリ"),
    ("池田", "イケダ"),
    ("橋本", "ハシモト"),
    ("阿部", "アベ"),
    ("石川", "イシカワ"),
    ("前田", "マエダ"),
    ("藤田", "フジタ"),
    ("岡田", "オカダ"),
    ("後藤", "ゴトウ"),
    ("長谷川", "ハセガワ"),
    ("村上", "ムラカミ"),
    ("近藤", "コンドウ"),
    ("坂本", "サカモト"),
    ("遠藤", "エンドウ"),
    ("西村", "ニシムラ"),
    ("福田", "フクダ"),
    ("太田", "オオタ"),
    ("藤井", "フジイ"),
]
GIVEN = [
    ("陽子", "ヨウコ"),
    ("美咲", "ミサキ"),
    ("健太", "ケンタ"),
    ("大輔", "ダイスケ"),
    ("由美", "ユミ"),
    ("翔太", "ショウタ"),
    ("真由美", "マユミ"),
    ("浩二", "コウジ"),
    ("彩", "アヤ"),
    ("直樹", "ナオキ"),
    ("恵子", "ケイコ"),
    ("誠", "マコト"),
    ("裕子", "ユウコ"),
    ("拓也", "タクヤ"),
    ("香織", "カオリ"),
    ("和也", "カズヤ"),
    ("愛", "アイ"),
    ("隆", "タカシ"),
    ("千尋", "チヒロ"),
    ("悠斗", "ユウト"),
]
PLACES = [
    ("530-0001", "大阪府大阪市北区梅田{a}丁目{b}番{c}号"),
    ("542-0076", "大阪府大阪市中央区難波{a}丁目{b}番{c}号"),
    ("556-0011", "大阪府大阪市浪速区難波中{a}丁目{b}番{c}号"),
    ("650-0021", "兵庫県神戸市中央区三宮町{a}丁目{b}番{c}号"),
    ("604-8005", "京都府京都市中京区恵比須町{b}番地"),
    ("590-0077", "大阪府堺市堺区中瓦町{a}丁{b}番{c}号"),
    ("660-0861", "兵庫県尼崎市御園町{b}番地"),
    ("630-8115", "奈良県奈良市大宮町{a}丁目{b}番{c}号"),
    ("640-8156", "和歌山県和歌山市七番丁{b}番地"),
    ("520-0044", "滋賀県大津市京町{a}丁目{b}番{c}号"),
    ("564-0041", "大阪府吹田市泉町{a}丁目{b}番{c}号"),
    ("573-0032", "大阪府枚方市岡東町{b}番{c}号"),
]
ROUTES = [
    ("大阪", "京都"),
    ("天王寺", "大阪"),
    ("尼崎", "大阪"),
    ("三ノ宮", "大阪"),
    ("奈良", "天王寺"),
    ("吹田", "大阪"),
    ("堺市", "天王寺"),
    ("京橋", "北新地"),
    ("西宮", "三ノ宮"),
    ("和歌山", "天王寺"),
]


class Command(BaseCommand):
    help = "Load demo residents, certificates, reservations and the demo staff accounts (DEBUG only)."

    def add_arguments(self, parser) -> None:
        parser.add_argument("--residents", type=int, default=300)

    def handle(self, *args, **options) -> None:
        if not settings.DEBUG:
            raise CommandError("seed_demo only runs with DEBUG on: it must never write into a production database.")
        rng = random.Random(20261127)
        clerk = self._user("demo-clerk", "clerk", "窓口", "花子")
        supervisor = self._user("demo-supervisor", "supervisor", "係長", "一郎")
        veteran = self._user("demo-veteran", "clerk", "山本", "和子")
        second = self._user("demo-clerk2", "clerk", "中川", "誠")
        newcomer = self._user("demo-newcomer", "clerk", "新井", "翔")
        offices = self._offices()
        today = timezone.localdate()
        leave_day = self._rota(veteran=veteran, clerks=[clerk, second], newcomer=newcomer, today=today)
        created = self._residents(options["residents"], rng, clerk, today, offices)
        slots_generate_all(today=today)
        bookings = self._reservations(rng, clerk, today)
        large, ruby = self._letter_options(today)
        if bookings:
            self._absence_after_bookings(second, supervisor, today)
        year = build_year(rng=random.Random(20261128), clerk=clerk, today=today)
        so_far = today_so_far(rng=random.Random(20261129), clerk=clerk, now=timezone.now())
        if options["verbosity"]:
            password = settings.DEMO_PASSWORD
            self.stdout.write(
                self.style.SUCCESS(
                    f"Demo data ready: {Resident.objects.count()} residents ({created} new), "
                    f"{Certificate.objects.count()} certificates, {bookings} new reservations."
                )
            )
            if year is not None:
                self.stdout.write(
                    f"Past year for the outcome report: {year.letters} letters, {year.reservations} bookings, "
                    f"{year.walk_ins} walk-ins, {year.complaints} complaints, {year.survey} survey answers."
                )
            if so_far.bookings or so_far.walk_ins:
                self.stdout.write(
                    f"Today so far: {so_far.bookings} bookings of slots already started ({so_far.timed} called, "
                    f"with their times), {so_far.walk_ins} walk-ins."
                )
            if large is not None and ruby is not None:
                self.stdout.write(
                    f"Letters for the next batch: {large} gets large print, {ruby} furigana (see their records)."
                )
            self.stdout.write(f"Staff accounts (password: {password}):")
            self.stdout.write(f"  {veteran.username}  (clerk, qualified: the veteran, afternoons)")
            self.stdout.write(f"  {clerk.username}  (clerk, qualified; on leave {leave_day:%Y-%m-%d})")
            self.stdout.write(f"  {second.username}  (clerk, qualified)")
            self.stdout.write(f"  {newcomer.username}  (clerk, newly transferred, not yet qualified)")
            if has_second_factor(supervisor):
                self.stdout.write(f"  {supervisor.username}  (supervisor; uses the authenticator app set up earlier)")
            else:
                # A supervisor's first authenticator app needs a one-time link (staff.otp); the demo prints one.
                link = settings.SITE_URL.rstrip("/") + enrolment_link_issue(user=supervisor, by=None)
                self.stdout.write(
                    f"  {supervisor.username}  (supervisor; log in, then open this one-time link to set up an "
                    f"authenticator app):\n    {link}"
                )

    def _user(self, username: str, group: str, last: str, first: str):
        User = get_user_model()
        user, created = User.objects.get_or_create(username=username, defaults={"last_name": last, "first_name": first})
        if created:
            user.set_password(settings.DEMO_PASSWORD)
            user.save()
        user.groups.add(Group.objects.get(name=group))
        return user

    def _rota(self, *, veteran, clerks, newcomer, today: date) -> date:
        """Who serves the procedure: the veteran every afternoon, two qualified clerks in turns in the mornings
        (both on Mondays), and a newly transferred clerk at the counter who is not yet qualified; one of the
        clerks takes a day of leave on the third office day from today."""
        first, second = clerks
        procedures = list(Procedure.objects.filter(is_active=True))
        for user in (veteran, first, second):
            for procedure in procedures:
                Qualification.objects.get_or_create(user=user, procedure=procedure)
        week = {
            veteran: [(d, time(13, 0), time(17, 15)) for d in range(5)],
            first: [(d, time(8, 45), time(12, 0)) for d in (0, 2, 4)],
            second: [(d, time(8, 45), time(12, 0)) for d in (0, 1, 3)],
            newcomer: [(d, time(8, 45), time(17, 15)) for d in range(5)],
        }
        for user, hours in week.items():
            if not DutyPattern.objects.filter(user=user).exists():
                DutyPattern.objects.bulk_create(
                    [DutyPattern(user=user, weekday=d, start=start, end=end) for d, start, end in hours]
                )
        upcoming = calendar.office_days(today + timedelta(days=1), today + timedelta(days=30))
        leave_day = next((d for d in upcoming[2:] if d.weekday() in (0, 2, 4)), upcoming[2])
        if not DutyException.objects.filter(user=first).exists():
            DutyException.objects.create(user=first, day=leave_day, kind=DutyException.Kind.LEAVE, note="年次休暇")
        return DutyException.objects.filter(user=first).order_by("day").values_list("day", flat=True)[0]

    def _absence_after_bookings(self, clerk, supervisor, today: date) -> None:
        """A training course entered after bookings exist: its bookings move to a colleague or wait for the
        supervisor on the list of bookings without a clerk."""
        # A Tuesday or Thursday morning, when this clerk is the only qualified one at the counter.
        upcoming = calendar.office_days(today + timedelta(days=1), today + timedelta(days=14))[:5]
        days = [d for d in upcoming if d.weekday() in (1, 3)]
        if days and not DutyException.objects.filter(user=clerk, kind=DutyException.Kind.TRAINING).exists():
            staffing.duty_exception_add(
                user=clerk,
                day=days[0],
                kind=DutyException.Kind.TRAINING,
                start=time(9, 0),
                end=time(12, 0),
                note="新任者研修の講師",
                actor=supervisor,
            )

    def _offices(self) -> list[Office]:
        """Two counters: the main office (本庁) and a branch (北支所) with its own hours, contact and slots."""
        Office.objects.filter(address__startswith="（").update(
            name="みなと市役所",
            department="生活支援課 証明書窓口",
            postal_code="552-0000",
            address="大阪府みなと市港町1丁目1番1号 本庁舎2階",
            phone="06-0000-0000",
            fax="06-0000-0001",
            email="shomei@city.minato.example.jp",
            hours_text="平日 8時45分〜17時15分（予約の受付は9時〜16時30分）",
            email_sender="madoguchi@example.jp",
            name_en="Minato City Hall",
            address_en="Main building 2F, 1-1-1 Minatomachi, Minato, Osaka",
            hours_text_en="Weekdays 8:45–17:15 (appointments 9:00–16:30)",
        )
        main = Office.main()
        assert main is not None
        north, _created = Office.objects.get_or_create(
            name="みなと市 北支所",
            defaults={
                "department": "市民福祉係",
                "postal_code": "552-0100",
                "address": "大阪府みなと市北町3丁目2番1号 北支所1階",
                "phone": "06-0000-1000",
                "fax": "06-0000-1001",
                "email": "kita-shisho@city.minato.example.jp",
                "hours_text": "平日 8時45分〜17時15分（予約の受付は9時〜16時30分）",
                "email_sender": "madoguchi-kita@example.jp",
                "name_en": "Minato City, North Branch Office",
                "address_en": "North Branch 1F, 3-2-1 Kitamachi, Minato, Osaka",
                "hours_text_en": "Weekdays 8:45–17:15 (appointments 9:00–16:30)",
            },
        )
        main_procedure = Procedure.objects.filter(office=main, certificate_kind__is_letter_kind=True).first()
        if main_procedure is not None:
            office_procedure_copy(procedure=main_procedure, office=north, slug="jr-pass-kita")
        return [main, north]

    @transaction.atomic
    def _letter_options(self, today: date) -> tuple[Resident | None, Resident | None]:
        """One resident of the next batch with a large-print letter and one with furigana, so both show."""
        month = default_target_month(today)
        # Residents who already booked get no letter (notices.services.existing_booking): leave them out.
        due = (
            Resident.objects.exclude(reservations__status=Reservation.Status.BOOKED)
            .filter(
                letter_opt_out=False,
                certificates__kind__is_letter_kind=True,
                certificates__status=Certificate.Status.VALID,
                certificates__expires_on__gte=month,
                certificates__expires_on__lt=add_months(month, 1),
            )
            .order_by("case_number")
        )
        chosen = list(dict.fromkeys(due)) or list(Resident.objects.order_by("case_number")[:2])
        if len(chosen) < 2:
            return None, None
        Resident.objects.filter(pk=chosen[0].pk).update(letter_large_print=True)
        Resident.objects.filter(pk=chosen[1].pk).update(letter_furigana=True)
        return chosen[0], chosen[1]

    def _residents(self, count: int, rng: random.Random, clerk, today: date, offices: list[Office]) -> int:
        categories = list(ResidentCategory.objects.filter(active=True))
        kind6 = CertificateKind.objects.get(is_letter_kind=True)
        kind12 = CertificateKind.objects.exclude(pk=kind6.pk).first()
        created = 0
        for i in range(count):
            case_number = f"D{i + 1:05d}"
            if Resident.objects.filter(case_number=case_number).exists():
                continue
            family, family_kana = rng.choice(FAMILY)
            given, given_kana = rng.choice(GIVEN)
            postal, pattern = rng.choice(PLACES)
            address = pattern.format(a=rng.randint(1, 5), b=rng.randint(1, 30), c=rng.randint(1, 20))
            resident = services.resident_register(
                user=clerk,
                family_name=family,
                given_name=given,
                family_name_kana=family_kana,
                given_name_kana=given_kana,
                birth_date=date(rng.randint(1950, 2006), rng.randint(1, 12), rng.randint(1, 28)),
                postal_code=postal,
                address=address,
                phone=f"0{rng.choice(['6', '90', '80', '70'])}-{rng.randint(1000, 9999)}-{rng.randint(1000, 9999)}",
                email=f"demo{i + 1}@example.jp" if rng.random() < 0.3 else "",
                case_number=case_number,
                letter_opt_out=rng.random() < 0.03,
                address_building=f"みなとハイツ{rng.randint(1, 9)}0{rng.randint(1, 9)}号" if rng.random() < 0.2 else "",
                category=rng.choice(categories) if categories else None,
                eligibility_confirmed_on=today - timedelta(days=rng.randint(20, 200)),
                notes="",
            )
            created += 1
            if rng.random() < 0.35:  # about a third of the city lives in the branch office's area
                ResidentOffice.objects.create(resident=resident, office=offices[1])
            route = rng.choice(ROUTES)
            # Issue dates 0–260 days ago: six-month certificates then expire from ~80 days ago to ~180 ahead.
            issued = today - timedelta(days=rng.randint(0, 260))
            first = services.certificate_issue(
                resident=resident,
                kind=kind6,
                issued_on=issued,
                photo_taken_on=issued - timedelta(days=rng.randint(0, 150)),
                user=clerk,
                route_from=route[0],
                route_to=route[1],
                today=today,
            )
            roll = rng.random()
            if roll < 0.08 and (today - issued).days > 120:
                renewed_on = issued + timedelta(days=rng.randint(120, (today - issued).days))
                services.certificate_renew(
                    certificate=first,
                    issued_on=renewed_on,
                    photo_taken_on=renewed_on - timedelta(days=rng.randint(0, 60)),
                    user=clerk,
                    today=today,
                )
            elif roll < 0.11:
                services.certificate_revoke(certificate=first, reason="転出のため", user=clerk)
            if kind12 and rng.random() < 0.2:
                issued12 = today - timedelta(days=rng.randint(0, 300))
                services.certificate_issue(
                    resident=resident,
                    kind=kind12,
                    issued_on=issued12,
                    photo_taken_on=issued12 - timedelta(days=rng.randint(0, 100)),
                    user=clerk,
                    route_from=route[0],
                    route_to=route[1],
                    today=today,
                )
        return created

    def _reservations(self, rng: random.Random, clerk, today: date) -> int:
        if Reservation.objects.exists():
            return 0
        now = timezone.now()
        made = 0
        # Bookings at every office, so the day list and the reports have something to filter.
        for procedure in Procedure.objects.filter(is_active=True).order_by("id"):
            ack_ids = [a.pk for a in procedure.acknowledgements_to_agree()]
            for day in calendar.office_days(today, today + timedelta(days=14), procedure.office)[:6]:
                for slot in Slot.objects.filter(procedure=procedure, day=day).order_by("start"):
                    if slot.starts_at <= now or rng.random() < 0.35:
                        continue
                    family, family_kana = rng.choice(FAMILY)
                    given, given_kana = rng.choice(GIVEN)
                    contact = Contact(
                        family,
                        given,
                        family_kana,
                        given_kana,
                        f"090-{rng.randint(1000, 9999)}-{rng.randint(1000, 9999)}",
                    )
                    resident = Resident.objects.filter(family_name_kana=family_kana).order_by("?").first()
                    try:
                        reservation = reservation_book(
                            procedure=procedure,
                            slot_id=slot.pk,
                            contact=contact,
                            acknowledged=ack_ids,
                            channel=Reservation.Channel.PHONE,
                            user=clerk,
                        )
                    except Exception:  # a demo slot that cannot be booked is simply skipped
                        continue
                    if resident and rng.random() < 0.5:
                        Reservation.objects.filter(pk=reservation.pk).update(
                            resident=resident,
                            certificate=resident.certificates.filter(kind__is_letter_kind=True)
                            .order_by("-expires_on")
                            .first(),
                            phone=resident.phone,
                            phone_digits=jp.phone_digits(resident.phone),
                            family_name=resident.family_name,
                            given_name=resident.given_name,
                            family_name_kana=resident.family_name_kana,
                            given_name_kana=resident.given_name_kana,
                        )
                    made += 1
        return made
