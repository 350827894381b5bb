from django.contrib import admin

from certificates.models import AccessLog, Certificate, CertificateKind, Resident, ResidentCategory


@admin.register(CertificateKind)
class CertificateKindAdmin(admin.ModelAdmin):
    list_display = ["name", "validity_months", "photo_required", "photo_max_age_months", "photo_size", "is_letter_kind"]


@admin.register(ResidentCategory)
class ResidentCategoryAdmin(admin.ModelAdmin):
    list_display = ["name", "order", "active"]


@admin.register(Resident)
class ResidentAdmin(admin.ModelAdmin):
    list_display = ["case_number", "family_name", "given_name", "family_name_kana", "given_name_kana"]
    search_fields = ["case_number", "family_name_kana", "given_name_kana"]


@admin.register(Certificate)
class CertificateAdmin(admin.ModelAdmin):
    list_display = ["number", "resident", "kind", "issued_on", "expires_on", "status"]
    list_filter = ["kind", "status"]
    readonly_fields = ["expires_on"]
    raw_id_fields = ["resident", "renews", "issued_by", "revoked_by"]


@admin.register(AccessLog)
class AccessLogAdmin(admin.ModelAdmin):
    list_display = ["at", "user", "action", "resident", "detail"]
    list_filter = ["action"]

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False
