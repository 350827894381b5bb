from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.http import HttpRequest, HttpResponse
from django.urls import include, path

from certificates import otp
from certificates.auth import ThrottledAuthenticationForm


def healthz(request: HttpRequest) -> HttpResponse:
    """For load balancers: the process answers. Touches neither the database nor the session."""
    return HttpResponse("ok", content_type="text/plain")


urlpatterns = [
    path("healthz", healthz, name="healthz"),
    path("", include("reservations.public_urls")),
    path("staff/", include("certificates.urls")),
    path("staff/", include("reservations.urls")),
    path("staff/notices/", include("notices.urls")),
    path(
        "accounts/login/",
        auth_views.LoginView.as_view(redirect_authenticated_user=True, authentication_form=ThrottledAuthenticationForm),
        name="login",
    ),
    path("accounts/otp/", otp.otp_verify, name="otp_verify"),
    path("accounts/otp/setup/", otp.otp_setup, name="otp_setup"),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("i18n/", include("django.conf.urls.i18n")),
    path("admin/", admin.site.urls),
]
