from django.urls import path

from notices import eligibility_views, evidence_views, views

app_name = "notices"

urlpatterns = [
    path("", views.batch_list, name="batch_list"),
    path("batches/<int:pk>/", views.batch_detail, name="batch_detail"),
    path("batches/<int:pk>/letters.pdf", views.batch_pdf, name="batch_pdf"),
    path("batches/<int:pk>/eligibility/", eligibility_views.batch_eligibility, name="batch_eligibility"),
    path("batches/<int:pk>/recipients.csv", eligibility_views.batch_recipients_csv, name="batch_recipients_csv"),
    path("letters/<int:pk>/letter.pdf", views.letter_pdf, name="letter_pdf"),
    path("letters/<int:pk>/status/", views.letter_status, name="letter_status"),
    path("outcomes/", evidence_views.outcomes, name="outcomes"),
    path("outcomes/<str:month>/report.pdf", evidence_views.outcomes_pdf, name="outcomes_pdf"),
    path("complaints/", evidence_views.complaints, name="complaints"),
    path("complaints/categories/", evidence_views.complaint_categories, name="complaint_categories"),
    path("survey/", evidence_views.survey_results, name="survey_results"),
    path("survey/card/", evidence_views.survey_card_print, name="survey_card"),
    path("wording/", views.template_edit, name="template_edit"),
    path("wording/preview.pdf", views.template_preview, name="template_preview"),
    path("wording/calibration.pdf", views.calibration_pdf, name="calibration_pdf"),
    path("wording/readings/", views.readings, name="readings"),
]
