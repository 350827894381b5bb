from datetime import date, timedelta

import pytest
from django.core.exceptions import ValidationError

from certificates import services
from certificates.models import AccessLog, Certificate, Resident, ResidentCategory
from tests import factories
from tests.factories import TODAY

pytestmark = pytest.mark.django_db

RESIDENT = {
    "family_name": "田中",
    "given_name": "陽子",
    "family_name_kana": "たなか",
    "given_name_kana": "ﾖｳｺ",
    "birth_date": date(1985, 6, 1),
    "postal_code": "５３０００１２",
    "address": "大阪府大阪市北区1-1",
    "phone": "０９０－１１１１－２２２２",
    "email": "",
    "case_number": "Ｋ１２３",
    "letter_opt_out": False,
    "notes": "",
}


def test_it_registers_a_resident_with_normalised_kana_postal_code_and_phone(alice) -> None:
    resident = services.resident_register(user=alice, **RESIDENT)
    assert (resident.family_name_kana, resident.given_name_kana) == ("タナカ", "ヨウコ")
    assert resident.postal_code == "530-0012"
    assert resident.phone == "090-1111-2222"
    assert resident.phone_digits == "09011112222"
    assert resident.case_number == "K123"
    assert AccessLog.objects.filter(user=alice, action="create", resident=resident).count() == 1


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("postal_code", "123", "7桁"),
        ("family_name_kana", "Tanaka", "カタカナ"),
        ("phone", "12", "10桁"),
        ("birth_date", TODAY + timedelta(days=400), "未来"),
    ],
)
def test_it_refuses_bad_resident_data_with_a_message_and_saves_nothing(alice, field, value, message) -> None:
    with pytest.raises(ValidationError) as info:
        services.resident_register(user=alice, **{**RESIDENT, field: value})
    assert message in " ".join(info.value.message_dict[field])
    assert not Resident.objects.exists()


def test_it_refuses_a_duplicate_case_number(alice) -> None:
    services.resident_register(user=alice, **RESIDENT)
    with pytest.raises(ValidationError) as info:
        services.resident_register(user=alice, **{**RESIDENT, "phone": "06-1111-2222"})
    assert "case_number" in info.value.message_dict
    assert Resident.objects.count() == 1


def test_it_logs_which_fields_an_update_changed(alice) -> None:
    resident = services.resident_register(user=alice, **RESIDENT)
    services.resident_update(resident=resident, user=alice, **{**RESIDENT, "address": "大阪府堺市1-2"})
    log = AccessLog.objects.get(action="update")
    assert log.detail == "address"


def test_it_issues_a_certificate_with_a_computed_expiry_and_a_generated_number(alice, frozen) -> None:
    resident = factories.resident()
    certificate = services.certificate_issue(
        resident=resident,
        kind=factories.letter_kind(),
        issued_on=date(2026, 11, 25),
        photo_taken_on=date(2026, 10, 1),
        user=alice,
    )
    assert certificate.expires_on == date(2027, 5, 25)
    assert certificate.number == f"T2026-{certificate.pk:06d}"
    assert certificate.issued_by == alice


def test_the_office_can_count_the_issue_day(alice, frozen, settings) -> None:
    settings.CERTIFICATE_COUNT_ISSUE_DAY = True
    certificate = services.certificate_issue(
        resident=factories.resident(),
        kind=factories.letter_kind(),
        issued_on=date(2026, 11, 25),
        photo_taken_on=date(2026, 10, 1),
        user=alice,
    )
    assert certificate.expires_on == date(2027, 5, 24)


@pytest.mark.parametrize(
    ("issued_on", "photo_taken_on", "field", "message"),
    [
        (date(2026, 11, 25), date(2026, 5, 24), "photo_taken_on", "古すぎます"),
        (date(2026, 11, 25), date(2026, 11, 26), "photo_taken_on", "交付日より後"),
        (date(2026, 11, 25), None, "photo_taken_on", "撮影日を入力"),
        (date(2026, 11, 26), date(2026, 11, 1), "issued_on", "未来"),
    ],
)
def test_it_refuses_to_issue_with_a_bad_photo_or_issue_date(
    alice, frozen, issued_on, photo_taken_on, field, message
) -> None:
    with pytest.raises(ValidationError) as info:
        services.certificate_issue(
            resident=factories.resident(),
            kind=factories.letter_kind(),
            issued_on=issued_on,
            photo_taken_on=photo_taken_on,
            user=alice,
        )
    assert message in " ".join(info.value.message_dict[field])
    assert not Certificate.objects.exists()


def test_a_photo_taken_exactly_six_months_before_is_accepted(alice, frozen) -> None:
    certificate = services.certificate_issue(
        resident=factories.resident(),
        kind=factories.letter_kind(),
        issued_on=date(2026, 11, 25),
        photo_taken_on=date(2026, 5, 25),
        user=alice,
    )
    assert certificate.pk


def test_renewing_links_the_new_certificate_and_refuses_a_second_renewal(alice, frozen) -> None:
    old = factories.certificate(issued_on=date(2026, 6, 1))
    new = services.certificate_renew(certificate=old, issued_on=TODAY, photo_taken_on=TODAY, user=alice)
    assert new.renews == old
    assert new.route_from == old.route_from
    with pytest.raises(ValidationError, match="すでに更新"):
        services.certificate_renew(certificate=old, issued_on=TODAY, photo_taken_on=TODAY, user=alice)
    assert Certificate.objects.count() == 2


def test_revoking_keeps_the_certificate_with_reason_who_and_when(alice, frozen) -> None:
    certificate = factories.certificate(issued_on=date(2026, 6, 1))
    with pytest.raises(ValidationError):
        services.certificate_revoke(certificate=certificate, reason=" ", user=alice)
    services.certificate_revoke(certificate=certificate, reason="転出", user=alice)
    certificate.refresh_from_db()
    assert (certificate.status, certificate.revoked_reason, certificate.revoked_by) == ("revoked", "転出", alice)
    assert certificate.revoked_at is not None
    with pytest.raises(ValidationError, match="すでに取り消され"):
        services.certificate_revoke(certificate=certificate, reason="再度", user=alice)
    with pytest.raises(ValidationError, match="取り消された証明書は更新できません"):
        services.certificate_renew(certificate=certificate, issued_on=TODAY, photo_taken_on=TODAY, user=alice)


def test_certificate_states_are_derived_from_the_dates() -> None:
    cert = Certificate(status="valid", issued_on=date(2026, 6, 1), expires_on=date(2026, 12, 1))
    assert cert.state_on(date(2026, 11, 25), 60) == "expiring"
    assert cert.state_on(date(2026, 9, 1), 60) == "valid"
    assert cert.state_on(date(2026, 12, 1), 60) == "expiring"
    assert cert.state_on(date(2026, 12, 2), 60) == "expired"
    cert.status = "revoked"
    assert cert.state_on(date(2026, 9, 1), 60) == "revoked"


def test_it_keeps_the_building_line_and_the_staff_only_eligibility_record(alice) -> None:
    category, _ = ResidentCategory.objects.get_or_create(name="児童扶養手当")
    resident = services.resident_register(
        user=alice,
        **{**RESIDENT, "address_building": " グランドメゾン101号 ", "category": category},
        eligibility_confirmed_on=date(2026, 8, 20),
    )
    assert (resident.address_building, resident.category, resident.is_eligible) == (
        "グランドメゾン101号",
        category,
        True,
    )
    services.resident_update(
        resident=resident, user=alice, eligibility_ended_on=date(2026, 11, 1), eligibility_end_reason="現況届の未提出"
    )
    resident.refresh_from_db()
    assert resident.is_eligible is False
    assert resident.eligibility_end_reason == "現況届の未提出"


def test_issuing_decides_the_photo_by_the_same_rule_the_rule_tests_check() -> None:
    from certificates.rules import photo_is_acceptable

    kind = factories.letter_kind()
    for issued_on in (date(2026, 8, 31), date(2026, 3, 31), date(2024, 2, 29), date(2026, 11, 25)):
        for offset in range(-200, 3):
            photo = issued_on + timedelta(days=offset)
            try:
                services.certificate_check_photo(kind=kind, photo_taken_on=photo, issued_on=issued_on)
                accepted = True
            except ValidationError:
                accepted = False
            assert accepted == photo_is_acceptable(photo, issued_on, kind.photo_max_age_months), (issued_on, photo)
