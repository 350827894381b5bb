"""Invitations: the one-time booking code printed on a letter, tied to a resident and a certificate."""

from __future__ import annotations

from datetime import date

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from certificates.models import Certificate, Resident
from reservations.models import Invitation, Procedure, normalize_code, random_code


def invitation_find(code: str, *, today: date) -> Invitation:
    """The open invitation for a code, or a ValidationError saying why it cannot be used."""
    invitation = (
        Invitation.objects.select_related("resident", "certificate", "procedure")
        .filter(code=normalize_code(code))
        .first()
    )
    if invitation is None:
        raise ValidationError(_("この予約コードは見つかりませんでした。"), code="unknown")
    if invitation.used_at is not None:
        raise ValidationError(_("この予約コードはすでに使われています。"), code="used")
    if today > invitation.valid_until:
        raise ValidationError(_("この予約コードは有効期限が過ぎています。"), code="expired")
    return invitation


def invitation_create(
    *, resident: Resident, certificate: Certificate, procedure: Procedure, valid_until: date
) -> Invitation:
    for _attempt in range(5):
        try:
            with transaction.atomic():
                return Invitation.objects.create(
                    code=random_code(8),
                    resident=resident,
                    certificate=certificate,
                    procedure=procedure,
                    valid_until=valid_until,
                )
        except IntegrityError:
            continue
    raise RuntimeError("could not allocate a unique invitation code")
