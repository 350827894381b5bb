from django.contrib.admin.apps import AdminConfig


class StaffAdminConfig(AdminConfig):
    """Django's admin, on the site that shares the staff login and its second factor."""

    default_site = "staff.admin_site.StaffAdminSite"
