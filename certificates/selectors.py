"""Reads that span models."""

from __future__ import annotations

import re
from datetime import date

from django.db.models import Q, QuerySet

from certificates import jp
from certificates.models import Certificate, Resident


def resident_search(query: str) -> QuerySet[Resident]:
    query = (query or "").strip()
    if not query:
        return Resident.objects.none()
    digits = jp.phone_digits(query)
    kana = jp.to_katakana(query)
    condition = Q()
    for part in query.split():
        condition &= Q(family_name__contains=part) | Q(given_name__contains=part)
    kana_condition = Q()
    for part in kana.split():
        kana_condition &= Q(family_name_kana__contains=part) | Q(given_name_kana__contains=part)
    condition |= kana_condition
    normalized_case = jp.normalize_digits(query)
    condition |= Q(case_number__iexact=normalized_case)
    if len(digits) >= 4 and not re.search(r"[^\d\-\s()]", jp.normalize_digits(query)):
        condition |= Q(phone_digits__contains=digits)
    return Resident.objects.filter(condition).order_by("family_name_kana", "given_name_kana", "id")


def certificates_expiring_in(year: int, month: int, kind_id: int | None = None) -> QuerySet[Certificate]:
    start = date(year, month, 1)
    end = date(year + (month == 12), month % 12 + 1, 1)
    qs = Certificate.objects.filter(expires_on__gte=start, expires_on__lt=end, status=Certificate.Status.VALID)
    if kind_id:
        qs = qs.filter(kind_id=kind_id)
    return qs.select_related("resident", "kind").order_by("expires_on", "resident__family_name_kana")


def latest_photo_certificate(resident: Resident) -> Certificate | None:
    """The resident's most recent certificate issued with a photo: what a new photo is compared with."""
    return (
        Certificate.objects.filter(resident=resident, photo_taken_on__isnull=False)
        .order_by("-issued_on", "-id")
        .first()
    )
