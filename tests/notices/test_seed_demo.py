import pytest
from django.contrib.auth import authenticate
from django.core.management import CommandError, call_command

from certificates.models import Certificate, Resident
from reservations.models import Reservation
from tests import factories

pytestmark = pytest.mark.django_db


def test_seed_demo_twice_creates_the_data_once(settings, frozen) -> None:
    factories.ensure_defaults()
    settings.DEBUG = True
    call_command("seed_demo", residents=60, verbosity=0)
    counts = (Resident.objects.count(), Certificate.objects.count(), Reservation.objects.count())
    call_command("seed_demo", residents=60, verbosity=0)
    assert (Resident.objects.count(), Certificate.objects.count(), Reservation.objects.count()) == counts
    # --residents counts today's register; the past year's letter recipients come on top.
    assert Resident.objects.filter(case_number__startswith="D").count() == 60
    assert Resident.objects.filter(case_number__startswith="H").exists()
    assert Certificate.objects.filter(status="revoked").exists()
    assert Certificate.objects.filter(renews__isnull=False).exists()
    assert authenticate(username="demo-clerk", password=settings.DEMO_PASSWORD).groups.filter(name="clerk").exists()
    assert authenticate(username="demo-supervisor", password=settings.DEMO_PASSWORD) is not None
    months = {c.expires_on.strftime("%Y-%m") for c in Certificate.objects.filter(kind__is_letter_kind=True)}
    assert {"2026-12", "2027-01", "2027-02", "2027-03"} <= months


def test_seed_demo_refuses_to_run_without_debug(settings) -> None:
    settings.DEBUG = False
    with pytest.raises(CommandError, match="DEBUG"):
        call_command("seed_demo", verbosity=0)
    assert not Resident.objects.exists()


def test_seed_demo_prints_the_demo_supervisors_enrolment_link(settings, client, frozen) -> None:
    import io

    factories.ensure_defaults()
    settings.DEBUG = True
    out = io.StringIO()
    call_command("seed_demo", residents=5, stdout=out)
    link = next(line.strip() for line in out.getvalue().splitlines() if "/accounts/otp/enrol/" in line)
    client.post("/accounts/login/", {"username": "demo-supervisor", "password": settings.DEMO_PASSWORD})
    assert client.get(link.removeprefix(settings.SITE_URL))["Location"] == "/accounts/otp/setup/"
    assert "<svg" in client.get("/accounts/otp/setup/").content.decode()


def test_seed_demo_sets_up_the_counter_staff_their_rota_and_assigned_bookings(settings, frozen) -> None:
    from reservations.models import DutyException, Qualification, UnstaffedBooking

    factories.ensure_defaults()
    settings.DEBUG = True
    call_command("seed_demo", residents=30, verbosity=0)
    qualified = set(Qualification.objects.values_list("user__username", flat=True))
    assert qualified == {"demo-veteran", "demo-clerk", "demo-clerk2"}
    assert authenticate(username="demo-newcomer", password=settings.DEMO_PASSWORD) is not None
    leave = DutyException.objects.get(kind="leave")
    assert leave.user.username == "demo-clerk"
    active = Reservation.objects.filter(status="booked")
    assert active.exists()
    assert not active.filter(clerk__isnull=True).exists()
    assert not active.filter(clerk__username__in=["demo-newcomer", "demo-supervisor"]).exists()
    # Nobody is served by the clerk on leave that day; what the training took away was moved or listed.
    assert not active.filter(slot__day=leave.day, clerk=leave.user).exists()
    training = DutyException.objects.get(kind="training")
    assert UnstaffedBooking.objects.filter(resolved_at__isnull=True, reservation__slot__day=training.day).exists()
    for r in active.filter(slot__day=training.day, clerk=training.user, slot__start__lt=training.end):
        assert UnstaffedBooking.objects.filter(reservation=r, resolved_at__isnull=True).exists()


def test_seed_demo_times_todays_visits_so_the_waiting_times_show(settings, frozen) -> None:
    from notices import report
    from reservations.models import WalkIn

    factories.ensure_defaults()
    settings.DEBUG = True
    call_command("seed_demo", residents=20, verbosity=0)
    # Frozen at 10:00 on 25 November 2026: the morning's slots have been served, each step at its time.
    today = factories.TODAY
    visits = Reservation.objects.filter(slot__day=today, arrived_at__isnull=False).select_related("slot")
    assert visits.exists()
    for visit in visits:
        assert visit.arrived_at <= factories.NOW
        assert visit.called_at is None or visit.arrived_at <= visit.called_at <= factories.NOW
        assert visit.done_at is None or visit.called_at <= visit.done_at <= factories.NOW
        assert visit.acknowledgements.exists() and visit.clerk_id is not None
    assert visits.filter(status="done", done_at__isnull=False).exists()
    assert not Reservation.objects.filter(slot__day=today, slot__start__gte="10:00", arrived_at__isnull=False).exists()
    assert WalkIn.objects.filter(day=today).exists()
    counter = report.counter_for_month(today)
    assert counter.booked_times.median_wait is not None and counter.walk_in_times.median_wait is not None
    timed = Reservation.objects.filter(slot__day=today, called_at__isnull=False).count()
    call_command("seed_demo", residents=20, verbosity=0)
    assert Reservation.objects.filter(slot__day=today, called_at__isnull=False).count() == timed


def test_seed_demo_records_no_visit_today_when_the_office_is_closed(settings) -> None:
    import time_machine

    from reservations.models import WalkIn

    factories.ensure_defaults()
    settings.DEBUG = True
    saturday = factories.NOW.replace(day=28, hour=14)
    with time_machine.travel(saturday, tick=False):
        call_command("seed_demo", residents=10, verbosity=0)
    assert not WalkIn.objects.filter(day=saturday.date()).exists()
    assert not Reservation.objects.filter(slot__day=saturday.date()).exists()
