from django.urls import path

from reservations import views

app_name = "reservations"

urlpatterns = [
    path("day/", views.day, name="day"),
    path("day/<isodate:day>/", views.day, name="day_date"),
    path("day/<isodate:day>/reservations.csv", views.day_csv, name="day_csv"),
    path("reservations/<int:pk>/status/", views.reservation_status, name="status"),
    path("reservations/<int:pk>/issue/", views.reservation_issue, name="issue"),
    path("book/", views.staff_book, name="staff_book"),
    path("walk-in/", views.walk_in, name="walk_in"),
    path("walk-in/<int:pk>/step/", views.walk_in_step, name="walk_in_step"),
    path("reservations/<int:pk>/called/", views.reservation_called, name="called"),
    path("calendar/", views.calendar_settings, name="calendar_settings"),
    path("reservations/review/", views.booking_review, name="booking_review"),
    path("residents/<int:pk>/office/", views.resident_office, name="resident_office"),
]
