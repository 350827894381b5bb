"""Formerly created the staff roles; they now come from staff.0001_roles (get_or_create, so databases that ran
this migration keep their groups). Kept, empty, so the migration history of existing databases stays whole."""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [("notices", "0001_initial")]
    operations = []
