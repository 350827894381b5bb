from __future__ import annotations

from typing import Any, cast

from django.contrib import admin
from django.contrib.admin.utils import unquote
from django.contrib.auth.models import User
from django.http import HttpRequest, HttpResponse

from certificates.models import AccessLog, Certificate, CertificateKind, Resident, ResidentCategory
from certificates.services import access_log_record
from staff.admin import ReadOnlyAdmin


class PersonalDataAdmin(ReadOnlyAdmin):
    """Records about residents: read-only here (the services keep their rules), and every list or record opened
    is written to the access log, as on the staff pages."""

    def resident_of(self, obj: Any) -> Resident | None:
        return getattr(obj, "resident", None)

    def _what(self) -> str:
        return f"管理サイト {self.model._meta.verbose_name}"

    def changelist_view(self, request: HttpRequest, extra_context: dict[str, Any] | None = None) -> HttpResponse:
        response = super().changelist_view(request, extra_context)
        changelist = getattr(response, "context_data", {}).get("cl")
        if changelist is not None:
            access_log_record(
                user=cast(User, request.user),
                action=AccessLog.Action.SEARCH,
                detail=f"{self._what()} 一覧 {changelist.result_count}件",
            )
        return response

    def _log_object(self, request: HttpRequest, object_id: str, response: HttpResponse, what: str) -> None:
        if response.status_code != 200:
            return
        obj = self.get_object(request, unquote(object_id))
        if obj is not None:
            access_log_record(
                user=cast(User, request.user),
                action=AccessLog.Action.VIEW,
                resident=self.resident_of(obj),
                detail=f"{self._what()} {obj.pk} {what}".strip(),
            )

    def change_view(
        self, request: HttpRequest, object_id: str, form_url: str = "", extra_context: dict[str, Any] | None = None
    ) -> HttpResponse:
        response = super().change_view(request, object_id, form_url, extra_context)
        self._log_object(request, object_id, response, "")
        return response

    def history_view(
        self, request: HttpRequest, object_id: str, extra_context: dict[str, Any] | None = None
    ) -> HttpResponse:
        response = super().history_view(request, object_id, extra_context)
        self._log_object(request, object_id, response, "履歴")
        return response


@admin.register(CertificateKind)
class CertificateKindAdmin(admin.ModelAdmin):
    list_display = ["name", "validity_months", "photo_required", "photo_max_age_months", "photo_size", "is_letter_kind"]


@admin.register(ResidentCategory)
class ResidentCategoryAdmin(admin.ModelAdmin):
    list_display = ["name", "order", "active"]


@admin.register(Resident)
class ResidentAdmin(PersonalDataAdmin):
    list_display = ["case_number", "family_name", "given_name", "family_name_kana", "given_name_kana"]
    search_fields = ["case_number", "family_name_kana", "given_name_kana"]

    def resident_of(self, obj: Any) -> Resident | None:
        return obj


@admin.register(Certificate)
class CertificateAdmin(PersonalDataAdmin):
    list_display = ["number", "resident", "kind", "issued_on", "expires_on", "status"]
    list_filter = ["kind", "status"]


@admin.register(AccessLog)
class AccessLogAdmin(ReadOnlyAdmin):
    """Shows the resident's ID only: reading the log must not itself show whose records were read."""

    list_display = ["at", "user", "action", "resident_id", "detail"]
    list_filter = ["action"]
    fields = ["at", "user", "action", "resident_id", "detail"]
    readonly_fields = ["at", "user", "action", "resident_id", "detail"]
