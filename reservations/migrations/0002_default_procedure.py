import datetime

from django.db import migrations

# The shipped wording (new installs); 0015_acknowledgement_wording brings installs with the first wording to it.
PHOTO_RULE = (
    "ご来庁日の前{photo_months}か月以内に撮影した、定期券を使う方の写真（{photo_size}、正面・上半身・無帽）を持参します。"
    "{photo_months}か月を過ぎた写真では証明書を発行できないことを了承します。"
)
PHOTO_RULE_EN = (
    "I will bring a photo of the pass user taken within {photo_months} months before the day of my visit "
    "({photo_size}, front, upper body, no hat). I accept that a photo older than that cannot be used."
)
IN_PERSON = "定期券を使う方ご本人が来庁します（写真とご本人を確認するため）。"
IN_PERSON_EN = "The person who will use the pass will come in person (staff compare the photo with the person)."


def create_defaults(apps, schema_editor):
    Office = apps.get_model("reservations", "Office")
    Procedure = apps.get_model("reservations", "Procedure")
    Acknowledgement = apps.get_model("reservations", "Acknowledgement")
    OpeningHours = apps.get_model("reservations", "OpeningHours")
    CertificateKind = apps.get_model("certificates", "CertificateKind")
    if Procedure.objects.exists():
        return
    office = Office.objects.create(
        name="市役所", department="窓口", address="（管理画面で所在地を設定してください）", phone="000-000-0000",
        hours_text="平日 8時45分〜17時15分",
    )
    procedure = Procedure.objects.create(
        office=office, name="JR定期券割引の証明書の発行", name_en="JR commuter pass discount certificate",
        slug="jr-pass", duration_minutes=15, places_per_slot=2, days_ahead=60, cutoff_hour=17,
        certificate_kind=CertificateKind.objects.filter(is_letter_kind=True).first(), walk_ins_accepted=False,
        what_to_bring="今お持ちの証明書（更新の場合）\n児童扶養手当証書（該当する方）",
    )
    Acknowledgement.objects.create(procedure=procedure, text=PHOTO_RULE, text_en=PHOTO_RULE_EN, version=1,
                                   required=True, is_photo_rule=True, order=1)
    Acknowledgement.objects.create(procedure=procedure, text=IN_PERSON, text_en=IN_PERSON_EN, version=1,
                                   required=True, order=2)
    for weekday in range(5):
        OpeningHours.objects.create(procedure=procedure, weekday=weekday, start=datetime.time(9, 0),
                                    end=datetime.time(12, 0), slot_minutes=30, places=2)
        OpeningHours.objects.create(procedure=procedure, weekday=weekday, start=datetime.time(13, 0),
                                    end=datetime.time(16, 30), slot_minutes=30, places=2)


class Migration(migrations.Migration):
    dependencies = [("reservations", "0001_initial"), ("certificates", "0002_default_kinds")]
    operations = [migrations.RunPython(create_defaults, migrations.RunPython.noop)]
