"""Several counters (本庁, 支所 …): each office offers the procedures with its own hours and calendar."""

from __future__ import annotations

from collections.abc import Collection
from datetime import datetime

from django.contrib.auth.models import User
from django.db import transaction
from django.utils import timezone

from certificates.models import AccessLog, Resident
from certificates.register import header_key
from certificates.services import access_log_record
from reservations.models import Office, Procedure, ResidentOffice


def office_of(resident: Resident) -> Office | None:
    """The office the resident belongs to: their own, else the main office."""
    link = ResidentOffice.objects.filter(resident=resident).select_related("office").first()
    return link.office if link else Office.main()


@transaction.atomic
def resident_office_set(*, resident: Resident, office: Office, user: User) -> None:
    """Assign the resident to an office (their letters then carry its contact); logged like any change."""
    ResidentOffice.objects.update_or_create(
        resident=resident, defaults={"office": office, "updated_at": timezone.now(), "updated_by": user}
    )
    access_log_record(user=user, action=AccessLog.Action.UPDATE, resident=resident, detail=f"担当の窓口：{office.name}")


@transaction.atomic
def office_procedure_copy(*, procedure: Procedure, office: Office, slug: str) -> Procedure:
    """The same procedure offered at another office, with its acknowledgements and opening hours; idempotent."""
    existing = Procedure.objects.filter(slug=slug).first()
    if existing is not None:
        return existing
    source_acks = list(procedure.acknowledgements.all())
    source_hours = list(procedure.hours.all())
    copy = Procedure.objects.get(pk=procedure.pk)
    copy.pk = None
    copy.office = office
    copy.slug = slug
    copy.save()
    for ack in source_acks:
        ack.pk = None
        ack.procedure = copy
        ack.save()
    for hours in source_hours:
        hours.pk = None
        hours.procedure = copy
        hours.save()
    return copy


class OfficeColumn:
    """The register's 窓口 column (certificates.register.ExtraColumn): which office each resident belongs to.

    Offices are matched by name as a heading is (NFKC, spaces ignored: 「北 支所」 is 北支所). An empty cell leaves
    the resident where they are; a resident without an office of their own belongs to the main office, and the
    export says so."""

    field = "office"
    label = "窓口"
    aliases = ("担当窓口", "担当の窓口", "所属窓口")

    def _offices(self) -> dict[str, Office]:
        return {header_key(o.name): o for o in Office.objects.order_by("id")}

    def canonical(self, texts: Collection[str]) -> dict[str, str | None]:
        offices = self._offices()
        found = {text: offices.get(header_key(text)) for text in texts}
        return {text: office.name if office else None for text, office in found.items()}

    def unknown(self, text: str) -> str:
        names = "、".join(Office.objects.order_by("id").values_list("name", flat=True))
        return f"「{text}」という窓口は登録されていません。登録されている窓口：{names}"

    def current(self, resident_ids: Collection[int] | None) -> dict[int, str]:
        main = Office.main()
        links = ResidentOffice.objects.select_related("office")
        residents = Resident.objects.all()
        if resident_ids is not None:
            links = links.filter(resident_id__in=list(resident_ids))
            residents = residents.filter(pk__in=list(resident_ids))
        values = dict.fromkeys(residents.values_list("pk", flat=True), main.name if main else "")
        values.update({link.resident_id: link.office.name for link in links})
        return values

    def write(self, values: dict[int, str], *, user: User | None, now: datetime) -> None:
        offices = {o.name: o for o in Office.objects.all()}
        existing = {link.resident_id: link for link in ResidentOffice.objects.filter(resident_id__in=list(values))}
        new, changed = [], []
        for resident_id, name in values.items():
            link = existing.get(resident_id)
            if link is None:
                new.append(
                    ResidentOffice(resident_id=resident_id, office=offices[name], updated_at=now, updated_by=user)
                )
            elif link.office_id != offices[name].pk:
                link.office, link.updated_at, link.updated_by = offices[name], now, user
                changed.append(link)
        ResidentOffice.objects.bulk_create(new, batch_size=500)
        ResidentOffice.objects.bulk_update(changed, ["office", "updated_at", "updated_by"], batch_size=500)
