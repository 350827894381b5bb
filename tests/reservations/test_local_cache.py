"""The office and the procedures are kept for a minute in each process; an edit shows at once where it was made."""

from datetime import date, time

import pytest

from reservations import local_cache
from reservations.models import Office, Procedure
from tests import factories

pytestmark = pytest.mark.django_db


def test_an_edited_procedure_shows_on_the_next_page(client, frozen) -> None:
    factories.slot(date(2026, 11, 26), time(9, 0))
    assert client.get("/book/p/jr-pass/2026-11-26/").status_code == 200
    procedure = Procedure.objects.get(slug="jr-pass")
    procedure.is_active = False
    procedure.save()
    assert client.get("/book/p/jr-pass/2026-11-26/").status_code == 404


def test_an_edited_office_shows_on_the_next_page(client, frozen) -> None:
    factories.procedure()
    client.get("/book/code/")
    office = Office.objects.get()
    office.phone = "06-9999-0000"
    office.save()
    assert "06-9999-0000" in client.get("/book/code/").content.decode()


def test_copies_expire_and_stay_few(monkeypatch) -> None:
    clock = [1000.0]
    monkeypatch.setattr(local_cache.time, "monotonic", lambda: clock[0])
    loads = []
    for _ in range(3):
        local_cache.get_or_set("k", lambda: loads.append(1) or "v")
    assert loads == [1]
    clock[0] += local_cache.TTL + 1
    assert local_cache.get_or_set("k", lambda: "w") == "w"
    for n in range(local_cache.MAX_ENTRIES * 3):
        local_cache.get_or_set(f"slug-{n}", lambda: 0)
    assert len(local_cache._entries) <= local_cache.MAX_ENTRIES
