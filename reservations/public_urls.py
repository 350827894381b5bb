from django.urls import path

from reservations import public_views as views

app_name = "public"

urlpatterns = [
    path("", views.home, name="home"),
    path("language/<str:code>/", views.language, name="language"),
    path("book/", views.book_start, name="book_start"),
    path("book/code/", views.book_code, name="book_code"),
    path("book/acknowledgements/", views.book_acknowledgements, name="book_acknowledgements"),
    path("book/details/", views.book_details, name="book_details"),
    path("book/confirm/", views.book_confirm, name="book_confirm"),
    path("book/p/<slug:slug>/", views.book_calendar, name="book_calendar"),
    path("book/p/<slug:slug>/<isodate:day>/", views.book_times, name="book_times"),
    path("book/<str:code>/", views.book_invitation, name="book_invitation"),
    path("reservation/", views.lookup, name="lookup"),
    path("reservation/<token:token>/", views.manage, name="manage"),
    path("reservation/<token:token>/cancel/", views.cancel, name="cancel"),
    path("reservation/<token:token>/change/", views.change, name="change"),
    path("reservation/<token:token>/rebook/", views.rebook, name="rebook"),
    path("reservation/<token:token>/calendar.ics", views.ics, name="ics"),
]
