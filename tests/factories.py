"""Test data in one place. Defaults from the data migrations are re-created when a transactional test flushed them."""

from __future__ import annotations

import itertools
from datetime import date, datetime, time
from importlib import import_module
from zoneinfo import ZoneInfo

from django.apps import apps as django_apps
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group

from certificates.models import Certificate, CertificateKind, Resident
from reservations.models import DutyException, DutyPattern, GuideVersion, Procedure, Qualification, Slot

JST = ZoneInfo("Asia/Tokyo")
# A Wednesday; the next office days are Thu 26 and Fri 27 November 2026, then Mon 30.
NOW = datetime(2026, 11, 25, 10, 0, tzinfo=JST)
TODAY = NOW.date()
PASSWORD = "correct horse battery"

_counter = itertools.count(1)


def ensure_defaults() -> None:
    if not CertificateKind.objects.exists():
        import_module("certificates.migrations.0002_default_kinds").create_kinds(django_apps, None)
    if not Procedure.objects.exists():
        import_module("reservations.migrations.0002_default_procedure").create_defaults(django_apps, None)
    if not GuideVersion.objects.exists():
        import_module("reservations.migrations.0009_qualifications_rota_guide").create_first_guide(django_apps, None)
    for name in ("clerk", "supervisor"):
        Group.objects.get_or_create(name=name)
    if not django_apps.get_model("notices", "ComplaintCategory").objects.exists():
        import_module("notices.migrations.0004_default_complaint_categories").create_categories(django_apps, None)


def letter_kind() -> CertificateKind:
    ensure_defaults()
    return CertificateKind.objects.get(is_letter_kind=True)


def procedure() -> Procedure:
    ensure_defaults()
    return Procedure.objects.select_related("certificate_kind", "office").get(slug="jr-pass")


def user(username: str, role: str | None = None):
    ensure_defaults()
    User = get_user_model()
    account = User.objects.create_user(username=username, password=PASSWORD)
    if role:
        account.groups.add(Group.objects.get(name=role))
    return account


def resident(**overrides) -> Resident:
    n = next(_counter)
    data = {
        "family_name": "山田",
        "given_name": "花子",
        "family_name_kana": "ヤマダ",
        "given_name_kana": "ハナコ",
        "birth_date": date(1980, 4, 1),
        "postal_code": "530-0001",
        "address": "大阪府大阪市北区梅田1丁目1番1号",
        "phone": f"06-1234-{n:04d}",
        "phone_digits": f"061234{n:04d}",
        "email": "",
        "case_number": f"C{n:05d}",
    }
    data.update(overrides)
    return Resident.objects.create(**data)


def certificate(
    resident_obj: Resident | None = None,
    *,
    issued_on: date,
    expires_on: date | None = None,
    kind: CertificateKind | None = None,
    photo_taken_on: date | None = None,
    **overrides,
) -> Certificate:
    from certificates.services import certificate_expiry

    kind = kind or letter_kind()
    resident_obj = resident_obj or resident()
    n = next(_counter)
    return Certificate.objects.create(
        resident=resident_obj,
        kind=kind,
        number=f"X{n:06d}",
        issued_on=issued_on,
        expires_on=expires_on or certificate_expiry(kind=kind, issued_on=issued_on),
        photo_taken_on=photo_taken_on or issued_on,
        **overrides,
    )


def slot(
    day: date, start: time = time(9, 0), *, places: int = 2, booked: int = 0, proc: Procedure | None = None
) -> Slot:
    """A slot with as many qualified clerks on duty as it has places (an extra turn each, for that slot only)."""
    proc = proc or procedure()
    end = time(start.hour, start.minute + 30) if start.minute < 30 else time(start.hour + 1, start.minute - 30)
    for index in range(places):
        on_duty(clerk(f"counter{index + 1}", proc), day, start, end)
    return Slot.objects.create(
        procedure=proc, day=day, start=start, end=end, places=places, booked=booked, rota_places=places
    )


def clerk(username: str, proc: Procedure | None = None, *, family_name: str = "", given_name: str = ""):
    """A clerk qualified for the procedure (created once per username)."""
    proc = proc or procedure()
    User = get_user_model()
    account = User.objects.filter(username=username).first()
    if account is None:
        account = user(username, "clerk")
        account.last_name, account.first_name = family_name or username, given_name
        account.save(update_fields=["last_name", "first_name"])
    Qualification.objects.get_or_create(user=account, procedure=proc)
    return account


def on_duty(account, day: date, start: time, end: time) -> DutyException:
    return DutyException.objects.create(user=account, day=day, start=start, end=end, kind="extra")


def staffed(count: int = 2, proc: Procedure | None = None) -> list:
    """`count` qualified clerks at the counter every day of the week, 8:00–18:00."""
    accounts = [clerk(f"staff{index + 1}", proc) for index in range(count)]
    for account in accounts:
        weekly(account, weekdays=range(7), start=time(8, 0), end=time(18, 0))
    return accounts


def weekly(account, weekdays=range(5), start: time = time(8, 30), end: time = time(17, 15)) -> None:
    for weekday in weekdays:
        DutyPattern.objects.create(user=account, weekday=weekday, start=start, end=end)


def office_with_procedure(name: str, *, phone: str, slug: str, **fields):
    """A second counter (支所) offering the letter procedure with the same acknowledgements and hours."""
    from reservations.models import Office
    from reservations.offices import office_procedure_copy

    office = Office.objects.create(name=name, phone=phone, address=fields.pop("address", f"{name}の所在地"), **fields)
    return office, office_procedure_copy(procedure=procedure(), office=office, slug=slug)
