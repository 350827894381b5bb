"""The two staff roles, as groups. Idempotent: on a database where an earlier migration already made them, this
changes nothing; on a fresh one it makes them."""

from django.db import migrations

ROLES = ("clerk", "supervisor")


def create_roles(apps, schema_editor):
    Group = apps.get_model("auth", "Group")
    for name in ROLES:
        Group.objects.get_or_create(name=name)


class Migration(migrations.Migration):
    dependencies = [("auth", "0012_alter_user_first_name_max_length")]
    operations = [migrations.RunPython(create_roles, migrations.RunPython.noop)]
