from django.contrib import admin
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.templatetags.static import static
from django.urls import include, path


def healthz(request: HttpRequest) -> HttpResponse:
    """For load balancers: the process answers. Touches neither the database nor the session."""
    return HttpResponse("ok", content_type="text/plain")


def favicon(request: HttpRequest) -> HttpResponse:
    """Browsers and bookmark apps ask for /favicon.ico whatever the page links: send them to the static file
    (whose name carries its hash in production)."""
    response = HttpResponseRedirect(static("favicon.ico"))
    response["Cache-Control"] = "public, max-age=86400"
    return response


# The friendly "page not found" in the visitor's language; the 500 page is templates/500.html, rendered by Django's
# own handler without a database.
handler404 = "reservations.public_views.page_not_found"

urlpatterns = [
    path("healthz", healthz, name="healthz"),
    path("favicon.ico", favicon, name="favicon"),
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
