"""Staff pages of the register import and export (supervisor): upload → map the columns → dry run → apply."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views.decorators.http import require_http_methods, require_POST

from certificates import register
from certificates.models import RegisterImport
from staff import form_messages
from staff.roles import StaffRequest, supervisor_required
from staff.shortcuts import apply_errors

MAX_UPLOAD_BYTES = 20 * 1024 * 1024
REPORT_PAGE = 200


class RegisterUploadForm(form_messages.Form):
    file = forms.FileField(
        label="台帳のファイル",
        help_text="CSV（UTF-8 または Shift_JIS）か Excel（.xlsx）。1行目に列の見出しを入れてください。",
    )
    sheet = forms.CharField(
        label="シート名",
        required=False,
        max_length=100,
        help_text="Excel で最初のシート以外を読むときだけ入力してください。",
    )

    def clean_file(self):
        upload = self.cleaned_data["file"]
        if upload.size > MAX_UPLOAD_BYTES:
            raise forms.ValidationError("ファイルが大きすぎます（20MBまで）。")
        return upload


class RegisterMappingForm(form_messages.Form):
    accept_computed_expiry = forms.BooleanField(
        label="有効期限がファイルと計算で違う行も、計算した日で取り込む",
        required=False,
        help_text="選ばないときは、その行を取り込まずに報告します。",
    )

    def __init__(self, *args, run: RegisterImport, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        choices = [("", "取り込まない"), *register.field_labels().items()]
        headers = run.mapping.get("headers", [])
        fields = run.mapping.get("fields", [])
        for index, header in enumerate(headers):
            self.fields[f"col_{index}"] = forms.ChoiceField(
                label=f"{index + 1}列目「{header or '見出しなし'}」",
                choices=choices,
                required=False,
                initial=fields[index] if index < len(fields) else "",
            )
        self.fields["accept_computed_expiry"].initial = run.accept_computed_expiry
        self.order_fields([f"col_{i}" for i in range(len(headers))] + ["accept_computed_expiry"])
        self.column_count = len(headers)

    def mapping(self) -> list[str]:
        return [self.cleaned_data.get(f"col_{i}", "") for i in range(self.column_count)]


@supervisor_required
@require_http_methods(["GET", "POST"])
def register_import(request: StaffRequest) -> HttpResponse:
    form = RegisterUploadForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        try:
            run = register.register_import_start(
                content=upload.read(), filename=upload.name, user=request.user, sheet=form.cleaned_data["sheet"]
            )
        except ValidationError as exc:
            form.add_error("file", exc.messages[0])
        else:
            return redirect("certificates:register_run", pk=run.pk)
    runs = RegisterImport.objects.select_related("user").defer("content", "report")[:30]
    return render(request, "certificates/register_import.html", {"form": form, "runs": runs})


@supervisor_required
@require_http_methods(["GET", "POST"])
def register_run(request: StaffRequest, pk: int) -> HttpResponse:
    run = get_object_or_404(RegisterImport.objects.select_related("user"), pk=pk)
    form = RegisterMappingForm(request.POST or None, run=run)
    if request.method == "POST":
        if run.status == RegisterImport.Status.APPLIED:
            messages.info(request, "この取り込みはすでに反映しました。")
            return redirect("certificates:register_run", pk=run.pk)
        if form.is_valid():
            try:
                register.register_import_check(
                    run=run,
                    fields=form.mapping(),
                    accept_computed_expiry=form.cleaned_data["accept_computed_expiry"],
                )
            except ValidationError as exc:
                apply_errors(form, exc)
            else:
                return redirect("certificates:register_run", pk=run.pk)
    rows = run.report
    show = request.GET.get("show", "")
    if show in register.Outcome.LABELS:
        rows = [row for row in rows if row["outcome"] == show]
    page = Paginator(rows, REPORT_PAGE).get_page(request.GET.get("page"))
    context = {
        "run": run,
        "form": form,
        "page": page,
        "show": show,
        "labels": register.Outcome.LABELS,
        "has_file": bool(run.content),
    }
    return render(request, "certificates/register_run.html", context)


@supervisor_required
@require_POST
def register_apply(request: StaffRequest, pk: int) -> HttpResponse:
    run = get_object_or_404(RegisterImport, pk=pk)
    try:
        run = register.register_import_apply(run=run, user=request.user)
    except ValidationError as exc:
        for message in exc.messages:
            messages.error(request, message)
    else:
        messages.success(
            request,
            f"反映しました。新規 {run.created}件、更新 {run.updated}件、スキップ {run.skipped}件"
            f"（変更なし {run.unchanged}件、エラー {run.errors}件）。",
        )
    return redirect("certificates:register_run", pk=run.pk)


@supervisor_required
@require_POST
def register_export(request: StaffRequest) -> HttpResponse:
    fmt = "xlsx" if request.POST.get("format") == "xlsx" else "csv"
    encoding = "cp932" if request.POST.get("format") == "sjis" else "utf-8-sig"
    try:
        content = register.register_export(fmt=fmt, user=request.user, encoding=encoding)
    except ValidationError as exc:
        for message in exc.messages:
            messages.error(request, message)
        return redirect("certificates:register_import")
    stamp = timezone.localtime().strftime("%Y%m%d-%H%M")
    if fmt == "xlsx":
        content_type = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    else:
        content_type = f"text/csv; charset={'shift_jis' if encoding == 'cp932' else 'utf-8'}"
    response = HttpResponse(content, content_type=content_type)
    response["Content-Disposition"] = f'attachment; filename="register-{stamp}.{fmt}"'
    response["Cache-Control"] = "no-store"
    return response
