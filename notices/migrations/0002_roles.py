from django.db import migrations

CLERK = {
    "certificates": ["view_resident", "add_resident", "change_resident", "view_certificate", "add_certificate",
                     "change_certificate", "view_certificatekind"],
    "reservations": ["view_reservation", "add_reservation", "change_reservation", "view_slot", "view_procedure",
                     "view_walkin", "add_walkin", "view_invitation", "view_office"],
}
SUPERVISOR_EXTRA = {
    "certificates": ["view_accesslog", "view_log"],
    "reservations": ["add_openinghours", "change_openinghours", "delete_openinghours", "view_openinghours",
                     "add_calendarday", "change_calendarday", "delete_calendarday", "view_calendarday",
                     "add_capacityoverride", "change_capacityoverride", "delete_capacityoverride",
                     "view_capacityoverride"],
    "notices": ["view_noticebatch", "add_noticebatch", "change_noticebatch", "view_letter", "change_letter",
                "view_lettertemplate", "change_lettertemplate"],
}


def create_roles(apps, schema_editor):
    from django.contrib.auth.management import create_permissions

    # Permissions are normally made after all migrations; the roles need them now.
    for label in ("certificates", "reservations", "notices"):
        config = apps.get_app_config(label)
        config.models_module = True
        create_permissions(config, apps=apps, verbosity=0)
        config.models_module = None
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")

    def perms(spec):
        result = []
        for app_label, codenames in spec.items():
            result.extend(Permission.objects.filter(content_type__app_label=app_label, codename__in=codenames))
        return result

    clerk, _ = Group.objects.get_or_create(name="clerk")
    clerk.permissions.set(perms(CLERK))
    supervisor, _ = Group.objects.get_or_create(name="supervisor")
    supervisor.permissions.set(perms(CLERK) + perms(SUPERVISOR_EXTRA))


class Migration(migrations.Migration):
    dependencies = [
        ("notices", "0001_initial"),
        ("reservations", "0002_default_procedure"),
        ("certificates", "0002_default_kinds"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]
    operations = [migrations.RunPython(create_roles, migrations.RunPython.noop)]
