from django.urls import path

from staff import views

app_name = "staff"

urlpatterns = [
    path("accounts/", views.accounts, name="accounts"),
    path("accounts/<int:pk>/unlock/", views.account_unlock, name="account_unlock"),
    path("accounts/<int:pk>/enrolment-link/", views.enrolment_link, name="enrolment_link"),
    path("security-log/", views.security_log, name="security_log"),
]
