from django.db import migrations

CATEGORIES = [
    "スマホ・インターネットが使えない",
    "予約が面倒",
    "電話がつながらない",
    "手紙が分かりにくい",
    "写真のルール",
    "待ち時間",
    "その他",
]


def create_categories(apps, schema_editor):
    ComplaintCategory = apps.get_model("notices", "ComplaintCategory")
    for order, name in enumerate(CATEGORIES, start=1):
        ComplaintCategory.objects.get_or_create(name=name, defaults={"order": order * 10})


class Migration(migrations.Migration):
    dependencies = [("notices", "0003_complaints_and_survey")]
    operations = [migrations.RunPython(create_categories, migrations.RunPython.noop)]
