"""Write operations on residents and certificates. Views, commands and tasks all go through these."""

from __future__ import annotations

import uuid
from datetime import date
from typing import Any

from django.conf import settings
from django.contrib.auth.models import User
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from certificates import jp, rules
from certificates.models import AccessLog, Certificate, CertificateKind, Resident

RESIDENT_FIELDS = (
    "family_name",
    "given_name",
    "family_name_kana",
    "given_name_kana",
    "birth_date",
    "postal_code",
    "address",
    "address_building",
    "phone",
    "email",
    "case_number",
    "letter_opt_out",
    "letter_large_print",
    "letter_furigana",
    "category",
    "eligibility_confirmed_on",
    "eligibility_ended_on",
    "eligibility_end_reason",
    "notes",
)


def access_log_record(*, user: User, action: str, resident: Resident | None = None, detail: str = "") -> AccessLog:
    return AccessLog.objects.create(user=user, action=action, resident=resident, detail=detail[:200])


def resident_normalise(data: dict[str, Any], *, today: date | None = None) -> dict[str, Any]:
    """The resident's fields normalised (kana, postal code, phone); ValidationError naming each bad field."""
    errors: dict[str, str] = {}
    clean = dict(data)
    for field in (
        "family_name",
        "given_name",
        "address",
        "address_building",
        "case_number",
        "notes",
        "email",
        "eligibility_end_reason",
    ):
        if field in clean and isinstance(clean[field], str):
            clean[field] = jp.normalize_digits(clean[field]) if field == "case_number" else clean[field].strip()
    for field in ("family_name_kana", "given_name_kana"):
        if field in clean:
            clean[field] = jp.to_katakana(clean[field])
            if not jp.is_katakana(clean[field]):
                label = "セイ（フリガナ）" if field == "family_name_kana" else "メイ（フリガナ）"
                errors[field] = f"{label}は、カタカナかひらがなで入力してください（例：ヤマダ）。"
    if "postal_code" in clean:
        try:
            clean["postal_code"] = jp.normalize_postal_code(clean["postal_code"])
        except ValueError:
            errors["postal_code"] = "郵便番号は7桁の数字で入力してください（例：530-0001）。"
    if "phone" in clean:
        clean["phone"] = jp.normalize_phone(clean["phone"])
        if not 10 <= len(jp.phone_digits(clean["phone"])) <= 11:
            errors["phone"] = "電話番号は、10桁か11桁の数字で入力してください（例：06-1234-5678）。"
    birth = clean.get("birth_date")
    if isinstance(birth, date) and birth > (today or timezone.localdate()):
        errors["birth_date"] = "生年月日が未来の日付になっています。"
    if errors:
        raise ValidationError(errors)
    return clean


@transaction.atomic
def resident_register(*, user: User, **data: Any) -> Resident:
    unknown = set(data) - set(RESIDENT_FIELDS)
    if unknown:
        raise TypeError(f"unknown fields: {sorted(unknown)}")
    clean = resident_normalise(data)
    resident = Resident(**clean)
    resident.phone_digits = jp.phone_digits(resident.phone)
    resident.full_clean()
    resident.save()
    access_log_record(user=user, action=AccessLog.Action.CREATE, resident=resident)
    return resident


@transaction.atomic
def resident_update(*, resident: Resident, user: User, **data: Any) -> Resident:
    unknown = set(data) - set(RESIDENT_FIELDS)
    if unknown:
        raise TypeError(f"unknown fields: {sorted(unknown)}")
    clean = resident_normalise(data)
    changed = [name for name, value in clean.items() if getattr(resident, name) != value]
    for name, value in clean.items():
        setattr(resident, name, value)
    resident.phone_digits = jp.phone_digits(resident.phone)
    resident.updated_at = timezone.now()
    resident.full_clean()
    resident.save()
    access_log_record(user=user, action=AccessLog.Action.UPDATE, resident=resident, detail=", ".join(sorted(changed)))
    return resident


def certificate_expiry(*, kind: CertificateKind, issued_on: date) -> date:
    return rules.expiry_date(issued_on, kind.validity_months, count_issue_day=settings.CERTIFICATE_COUNT_ISSUE_DAY)


def certificate_check_photo(*, kind: CertificateKind, photo_taken_on: date | None, issued_on: date) -> None:
    if not kind.photo_required:
        return
    if photo_taken_on is None:
        raise ValidationError({"photo_taken_on": "写真の撮影日を入力してください。"})
    if rules.photo_is_acceptable(photo_taken_on, issued_on, kind.photo_max_age_months):
        return
    # Not acceptable: say which side of the rule the date falls on.
    if photo_taken_on > issued_on:
        raise ValidationError({"photo_taken_on": "写真の撮影日が交付日より後になっています。"})
    earliest = rules.earliest_photo_date(issued_on, kind.photo_max_age_months)
    raise ValidationError(
        {
            "photo_taken_on": ValidationError(
                f"写真が古すぎます。{kind.photo_max_age_months}か月以内"
                f"（{earliest:%Y年%-m月%-d日}以降）に撮影した写真が必要です。",
                code="photo_too_old",
            )
        }
    )


@transaction.atomic
def certificate_issue(
    *,
    resident: Resident,
    kind: CertificateKind,
    issued_on: date,
    photo_taken_on: date | None,
    user: User,
    route_from: str = "",
    route_to: str = "",
    renews: Certificate | None = None,
    today: date | None = None,
    photo_reuse_confirmed: bool = False,
) -> Certificate:
    """Issue a certificate; `photo_reuse_confirmed` records that the clerk compared a photo that looked like the
    previous certificate's and found it new (certificates.forms.PhotoCheckMixin)."""
    today = today or timezone.localdate()
    if issued_on > today:
        raise ValidationError({"issued_on": "交付日に未来の日付は指定できません。"})
    certificate_check_photo(kind=kind, photo_taken_on=photo_taken_on, issued_on=issued_on)
    if renews is not None:
        # Lock the old certificate so two clerks cannot renew it twice at the same moment.
        renews = Certificate.objects.select_for_update().get(pk=renews.pk)
        if renews.resident_id != resident.pk:
            raise ValidationError("更新する証明書が別の方のものです。")
        if renews.status == Certificate.Status.REVOKED:
            raise ValidationError("取り消された証明書は更新できません。新しく交付してください。")
        if Certificate.objects.filter(renews=renews).exists():
            raise ValidationError("この証明書はすでに更新されています。")
    certificate = Certificate(
        resident=resident,
        kind=kind,
        number=f"tmp-{uuid.uuid4().hex[:16]}",
        issued_on=issued_on,
        expires_on=certificate_expiry(kind=kind, issued_on=issued_on),
        photo_taken_on=photo_taken_on,
        route_from=route_from.strip(),
        route_to=route_to.strip(),
        issued_by=user,
        renews=renews,
    )
    certificate.full_clean()
    certificate.save()
    # The primary key makes the number unique without a counter that two servers could both read.
    certificate.number = f"{kind.number_prefix}{issued_on:%Y}-{certificate.pk:06d}"
    certificate.save(update_fields=["number"])
    access_log_record(
        user=user,
        action=AccessLog.Action.ISSUE,
        resident=resident,
        detail=f"証明書 {certificate.number}"
        + ("（前回と同じ写真ではないことを確認）" if photo_reuse_confirmed else ""),
    )
    return certificate


def certificate_renew(
    *,
    certificate: Certificate,
    issued_on: date,
    photo_taken_on: date | None,
    user: User,
    route_from: str | None = None,
    route_to: str | None = None,
    today: date | None = None,
    photo_reuse_confirmed: bool = False,
) -> Certificate:
    return certificate_issue(
        resident=certificate.resident,
        kind=certificate.kind,
        issued_on=issued_on,
        photo_taken_on=photo_taken_on,
        user=user,
        route_from=certificate.route_from if route_from is None else route_from,
        route_to=certificate.route_to if route_to is None else route_to,
        renews=certificate,
        today=today,
        photo_reuse_confirmed=photo_reuse_confirmed,
    )


@transaction.atomic
def certificate_revoke(*, certificate: Certificate, reason: str, user: User) -> Certificate:
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": "取消の理由を入力してください。"})
    certificate = Certificate.objects.select_for_update().get(pk=certificate.pk)
    if certificate.status == Certificate.Status.REVOKED:
        raise ValidationError("この証明書はすでに取り消されています。")
    certificate.status = Certificate.Status.REVOKED
    certificate.revoked_reason = reason[:200]
    certificate.revoked_by = user
    certificate.revoked_at = timezone.now()
    certificate.save(update_fields=["status", "revoked_reason", "revoked_by", "revoked_at"])
    access_log_record(
        user=user,
        action=AccessLog.Action.REVOKE,
        resident=certificate.resident,
        detail=f"証明書 {certificate.number}",
    )
    return certificate
