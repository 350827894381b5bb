from django.urls import path

from notices import survey_views as views

app_name = "survey"

urlpatterns = [
    path("", views.survey_card, name="card"),
    path("thanks/", views.survey_thanks, name="thanks"),
    path("r/<str:token>/", views.survey_reservation, name="reservation"),
]
