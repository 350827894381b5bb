from __future__ import annotations

from django.test import Client

from reservations.models import Procedure, Slot

CONTACT = {
    "family_name": "田中",
    "given_name": "陽子",
    "family_name_kana": "たなか",
    "given_name_kana": "ようこ",
    "phone": "090-1111-2222",
    "email": "yoko@example.jp",
    "pass_user_name": "",
}


def ack_data(procedure: Procedure) -> dict[str, str]:
    return {f"ack_{a.pk}": "on" for a in procedure.acknowledgements.filter(active=True)}


def walk_to_confirm(client: Client, slot: Slot, contact: dict[str, str] | None = None) -> None:
    procedure = slot.procedure
    client.get(f"/book/p/{procedure.slug}/")
    client.post(f"/book/p/{procedure.slug}/{slot.day.isoformat()}/", {"slot": slot.pk})
    client.post("/book/acknowledgements/", ack_data(procedure))
    client.post("/book/details/", contact or CONTACT)


def book(client: Client, slot: Slot, contact: dict[str, str] | None = None):
    walk_to_confirm(client, slot, contact)
    return client.post("/book/confirm/")
