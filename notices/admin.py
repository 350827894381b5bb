from django.contrib import admin

from certificates.admin import PersonalDataAdmin
from notices.models import Letter, LetterTemplate, NoticeBatch
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
