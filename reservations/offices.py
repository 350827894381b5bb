"""Several counters (本庁, 支所 …): each office offers the procedures with its own hours and calendar."""

from __future__ import annotations

from django.contrib.auth.models import User
from django.db import transaction
from django.utils import timezone

from certificates.models import AccessLog, Resident
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
