from django.urls import path

from certificates import register_views, views

app_name = "certificates"

urlpatterns = [
    path("residents/", views.resident_search, name="resident_search"),
    path("residents/new/", views.resident_create, name="resident_create"),
    path("residents/<int:pk>/", views.resident_detail, name="resident_detail"),
    path("residents/<int:pk>/edit/", views.resident_edit, name="resident_edit"),
    path("residents/<int:pk>/certificates/new/", views.certificate_issue, name="certificate_issue"),
    path("certificates/<int:pk>/renew/", views.certificate_renew, name="certificate_renew"),
    path("certificates/<int:pk>/revoke/", views.certificate_revoke, name="certificate_revoke"),
    path("certificates/expiring/", views.certificates_expiring, name="expiring"),
    path("log/", views.access_log, name="access_log"),
    path("register/", register_views.register_import, name="register_import"),
    path("register/export/", register_views.register_export, name="register_export"),
    path("register/<int:pk>/", register_views.register_run, name="register_run"),
    path("register/<int:pk>/apply/", register_views.register_apply, name="register_apply"),
]
