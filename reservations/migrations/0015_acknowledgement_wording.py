"""The statements a resident ticks, in the wording a city office uses: the photo taken within six months *before*
the day of the visit (「来庁日から6か月以内」 reads as "after the visit"), 了承します for consent, and ご本人.

Only statements still in the first shipped wording change, each with its version raised: an office's own wording
stays, and every booking keeps the text it agreed to (ReservationAcknowledgement.text)."""

from importlib import import_module

from django.db import migrations

FIRST_PHOTO_RULE = (
    "来庁日から{photo_months}か月以内に撮影した、定期券を使う方の写真（{photo_size}、正面・上半身・無帽）を持参します。"
    "古い写真では証明書を発行できないことを理解しました。"
)
FIRST_PHOTO_RULE_EN = (
    "I will bring a photo of the pass user taken within {photo_months} months before the visit "
    "({photo_size}, front, upper body, no hat). I understand that an older photo cannot be accepted."
)
FIRST_IN_PERSON = "定期券を使う方ご本人が来庁します（写真と本人を確認するため）。"
FIRST_IN_PERSON_EN = "The person who will use the pass comes in person (staff compare the photo with the person)."


def reword(apps, schema_editor):
    shipped = import_module("reservations.migrations.0002_default_procedure")
    Acknowledgement = apps.get_model("reservations", "Acknowledgement")
    changes = [
        (FIRST_PHOTO_RULE, FIRST_PHOTO_RULE_EN, shipped.PHOTO_RULE, shipped.PHOTO_RULE_EN),
        (FIRST_IN_PERSON, FIRST_IN_PERSON_EN, shipped.IN_PERSON, shipped.IN_PERSON_EN),
    ]
    for old, old_en, new, new_en in changes:
        for ack in Acknowledgement.objects.filter(text=old):
            ack.text = new
            if ack.text_en in ("", old_en):
                ack.text_en = new_en
            ack.version += 1
            ack.save(update_fields=["text", "text_en", "version"])


class Migration(migrations.Migration):
    dependencies = [("reservations", "0014_walk_in_clerk")]

    operations = [migrations.RunPython(reword, migrations.RunPython.noop)]
