"""Access is decided by the role (the group's name, staff.roles), never by Django permissions: drop the access
log's "view_log" permission that nothing checked, and the permissions earlier versions gave the two groups, so that
no list of permissions suggests a rule that does not hold."""

from django.db import migrations


def clear(apps, schema_editor):
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    for group in Group.objects.filter(name__in=("clerk", "supervisor")):
        group.permissions.clear()
    Permission.objects.filter(codename="view_log", content_type__app_label="certificates").delete()


class Migration(migrations.Migration):

    dependencies = [
        ('certificates', '0004_register_import'),
        ('staff', '0001_roles'),
        ('contenttypes', '0002_remove_content_type_name'),
    ]

    operations = [
        migrations.AlterModelOptions(
            name='accesslog',
            options={'ordering': ['-at', '-id'], 'verbose_name': '閲覧・変更の記録', 'verbose_name_plural': '閲覧・変更の記録'},
        ),
        migrations.RunPython(clear, migrations.RunPython.noop),
    ]
