from django.contrib import admin

from notices.models import Letter, LetterTemplate, NoticeBatch

admin.site.register(LetterTemplate)


@admin.register(NoticeBatch)
class NoticeBatchAdmin(admin.ModelAdmin):
    list_display = ["month", "sequence", "status", "letter_count", "mailed_on"]
    readonly_fields = ["pdf_sha256", "pdf_path"]


@admin.register(Letter)
class LetterAdmin(admin.ModelAdmin):
    list_display = ["batch", "postal_code", "status"]
    raw_id_fields = ["certificate", "resident", "invitation"]
