from django.contrib import admin

from notices.models import Complaint, ComplaintCategory, Letter, LetterTemplate, NoticeBatch, SurveyResponse

admin.site.register(LetterTemplate)


@admin.register(NoticeBatch)
class NoticeBatchAdmin(admin.ModelAdmin):
    list_display = ["month", "sequence", "status", "letter_count", "mailed_on"]
    readonly_fields = ["pdf_sha256", "pdf_path"]


@admin.register(Letter)
class LetterAdmin(admin.ModelAdmin):
    list_display = ["batch", "postal_code", "status"]
    raw_id_fields = ["certificate", "resident", "invitation"]


class ReadOnlyAdmin(admin.ModelAdmin):
    """A view of the data: complaints, categories and answers change only through the staff pages."""

    def has_add_permission(self, request, obj=None) -> bool:  # noqa: ANN001
        return False

    def has_change_permission(self, request, obj=None) -> bool:  # noqa: ANN001
        return False

    def has_delete_permission(self, request, obj=None) -> bool:  # noqa: ANN001
        return False


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
