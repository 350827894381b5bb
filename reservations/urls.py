from django.urls import path

from reservations import rota_views, views

app_name = "reservations"

urlpatterns = [
    path("day/", views.day, name="day"),
    path("day/<isodate:day>/", views.day, name="day_date"),
    path("day/<isodate:day>/reservations.csv", views.day_csv, name="day_csv"),
    path("reservations/find/", views.reservation_find, name="find"),
    path("reservations/<int:pk>/status/", views.reservation_status, name="status"),
    path("reservations/<int:pk>/issue/", views.reservation_issue, name="issue"),
    path("book/", views.staff_book, name="staff_book"),
    path("walk-in/", views.walk_in, name="walk_in"),
    path("walk-in/<int:pk>/step/", views.walk_in_step, name="walk_in_step"),
    path("reservations/<int:pk>/called/", views.reservation_called, name="called"),
    path("calendar/", views.calendar_settings, name="calendar_settings"),
    path("reservations/review/", views.booking_review, name="booking_review"),
    path("residents/<int:pk>/office/", views.resident_office, name="resident_office"),
    path("rota/", rota_views.rota_page, name="rota"),
    path("rota/exceptions/<int:pk>/", rota_views.duty_exception, name="duty_exception"),
    path("qualifications/", rota_views.qualifications, name="qualifications"),
    path("unstaffed/", rota_views.unstaffed, name="unstaffed"),
    path("mine/", rota_views.my_appointments, name="mine"),
    path("reservations/<int:pk>/serve/", rota_views.serve, name="serve"),
    path("reservations/<int:pk>/clerk/", rota_views.reassign, name="reassign"),
    path("guides/", rota_views.guide_index, name="guide_index"),
    path("guides/<int:pk>/", rota_views.guide_edit, name="guide_edit"),
    path("guides/<int:pk>/print/", rota_views.guide_print, name="guide_print"),
    path("walk-ins/", rota_views.walk_ins_page, name="walk_ins"),
]
