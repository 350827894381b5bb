from django.contrib import admin

from certificates.admin import PersonalDataAdmin
from notices.models import Complaint, ComplaintCategory, Letter, LetterTemplate, NoticeBatch, SurveyResponse
from staff.admin import ReadOnlyAdmin

admin.site.register(LetterTemplate)


@admin.register(NoticeBatch)
class NoticeBatchAdmin(ReadOnlyAdmin):
    """Batches are prepared, rendered and marked mailed by the notices services only."""

    list_display = ["month", "sequence", "status", "letter_count", "mailed_on"]


@admin.register(Letter)
class LetterAdmin(PersonalDataAdmin):
    list_display = ["batch", "postal_code", "status"]
    exclude = ["invitation"]


@admin.register(ComplaintCategory)
class ComplaintCategoryAdmin(ReadOnlyAdmin):
    list_display = ["name", "order", "active"]


@admin.register(Complaint)
class ComplaintAdmin(ReadOnlyAdmin):
    list_display = ["received_on", "category", "channel"]
    list_filter = ["category", "channel"]


@admin.register(SurveyResponse)
class SurveyResponseAdmin(ReadOnlyAdmin):
    list_display = ["submitted_at", "source", "satisfaction"]
    exclude = ["token_digest"]
