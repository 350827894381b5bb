from django.urls import path

from staff import views

app_name = "staff"

urlpatterns = [
    path("accounts/", views.accounts, name="accounts"),
    path("accounts/new/", views.account_new, name="account_new"),
    path("accounts/<int:pk>/deactivate/", views.account_deactivate, name="account_deactivate"),
    path("accounts/<int:pk>/second-factor/reset/", views.second_factor_reset, name="second_factor_reset"),
    path("accounts/<int:pk>/unlock/", views.account_unlock, name="account_unlock"),
    path("accounts/<int:pk>/enrolment-link/", views.enrolment_link, name="enrolment_link"),
    path("security-log/", views.security_log, name="security_log"),
]
