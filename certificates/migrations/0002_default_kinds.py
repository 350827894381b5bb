from django.db import migrations


def create_kinds(apps, schema_editor):
    CertificateKind = apps.get_model("certificates", "CertificateKind")
    CertificateKind.objects.get_or_create(
        name="特定者用定期乗車券購入証明書",
        defaults={"short_name": "JR定期券割引の証明書", "validity_months": 6, "photo_required": True,
                  "photo_max_age_months": 6, "photo_size": "縦4cm×横3cm", "is_letter_kind": True,
                  "number_prefix": "T"},
    )
    CertificateKind.objects.get_or_create(
        name="特定者資格証明書",
        defaults={"short_name": "JR定期券割引の資格証明書", "validity_months": 12, "photo_required": True,
                  "photo_max_age_months": 6, "photo_size": "縦4cm×横3cm", "is_letter_kind": False,
                  "number_prefix": "S"},
    )


class Migration(migrations.Migration):
    dependencies = [("certificates", "0001_initial")]
    operations = [migrations.RunPython(create_kinds, migrations.RunPython.noop)]
