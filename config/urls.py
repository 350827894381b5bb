from django.contrib import admin
from django.http import HttpRequest, HttpResponse
from django.urls import include, path


def healthz(request: HttpRequest) -> HttpResponse:
    """For load balancers: the process answers. Touches neither the database nor the session."""
    return HttpResponse("ok", content_type="text/plain")


urlpatterns = [
    path("healthz", healthz, name="healthz"),
    path("", include("reservations.public_urls")),
    path("survey/", include("notices.public_urls")),
    path("staff/", include("certificates.urls")),
    path("staff/", include("reservations.urls")),
    path("staff/notices/", include("notices.urls")),
    path("accounts/", include("staff.urls")),
    path("staff/", include("staff.office_urls")),
    path("i18n/", include("django.conf.urls.i18n")),
    path("admin/", admin.site.urls),
]
