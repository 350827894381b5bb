from django.contrib.auth import views as auth_views
from django.urls import path

from staff import otp, views
from staff.auth import ThrottledAuthenticationForm

urlpatterns = [
    path(
        "login/",
        auth_views.LoginView.as_view(redirect_authenticated_user=True, authentication_form=ThrottledAuthenticationForm),
        name="login",
    ),
    path("otp/", otp.otp_verify, name="otp_verify"),
    path("otp/setup/", otp.otp_setup, name="otp_setup"),
    path("otp/enrol/<str:token>/", otp.otp_enrol, name="otp_enrol"),
    path("password/set/<uidb64>/<token>/", views.PasswordSetView.as_view(), name="password_set"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
]
