"""Supervisor page: check a batch's recipients against the benefits system before it is mailed."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_http_methods

from certificates.models import AccessLog
from certificates.services import access_log_record
from notices import eligibility, services
from notices.models import Letter, NoticeBatch
from staff.roles import StaffRequest, supervisor_required
from staff.shortcuts import CsvResponse

MAX_UPLOAD_BYTES = 2 * 1024 * 1024


@supervisor_required
@require_http_methods(["GET", "POST"])
def batch_eligibility(request: StaffRequest, pk: int) -> HttpResponse:
    batch = get_object_or_404(NoticeBatch, pk=pk)
    ticked: set[int] = set()
    reason = request.POST.get("reason", "").strip()
    action = request.POST.get("action", "")
    if request.method == "POST":
        try:
            if action == "upload":
                upload = request.FILES.get("file")
                if upload is None:
                    raise ValidationError("ケース番号のCSVファイルを選んでください。")
                if (upload.size or 0) > MAX_UPLOAD_BYTES:
                    raise ValidationError("ファイルが大きすぎます（2MBまで）。")
                cases = eligibility.parse_case_numbers(upload.read())
                letter_ids, unknown = eligibility.match_case_numbers(batch, cases)
                ticked = set(letter_ids)
                messages.info(
                    request,
                    f"{len(cases)}件のケース番号を読み込み、{len(ticked)}通にチェックを付けました。"
                    "内容を確かめて「チェックした方のお知らせを取り下げる」を押してください。",
                )
                if unknown:
                    messages.warning(
                        request,
                        "このお知らせの宛先にないケース番号："
                        + "、".join(unknown[:50])
                        + ("ほか" if len(unknown) > 50 else ""),
                    )
            elif action == "withdraw":
                ids = [int(v) for v in request.POST.getlist("letters") if v.isdigit()]
                ticked = set(ids)
                count = eligibility.letters_withdraw(batch=batch, letter_ids=ids, reason=reason, user=request.user)
                services.notice_batch_regenerate(batch=batch, user=request.user)
                messages.success(request, f"{count}通を取り下げ、印刷用PDFを作り直しました。")
                return redirect("notices:batch_eligibility", pk=batch.pk)
            elif action == "confirm":
                eligibility.batch_eligibility_confirm(batch=batch, user=request.user)
                messages.success(request, "資格の確認を記録しました。発送済みにできます。")
                return redirect("notices:batch_detail", pk=batch.pk)
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
    recipients = eligibility.batch_recipients(batch).select_related("resident__category")
    withdrawn = Letter.objects.filter(batch=batch, status=Letter.Status.WITHDRAWN).select_related("resident")
    access_log_record(user=request.user, action=AccessLog.Action.VIEW, detail=f"お知らせ {batch.label} の資格の確認")
    context = {
        "batch": batch,
        "recipients": recipients,
        "withdrawn": withdrawn,
        "ticked": ticked,
        "reason": reason,
    }
    return render(request, "notices/batch_eligibility.html", context)


@supervisor_required
def batch_recipients_csv(request: StaffRequest, pk: int) -> HttpResponse:
    batch = get_object_or_404(NoticeBatch, pk=pk)
    response = CsvResponse(f"recipients-{batch.month:%Y-%m}-{batch.sequence}.csv", [eligibility.CASE_HEADER])
    for case in eligibility.batch_recipient_cases(batch=batch, user=request.user):
        response.writerow([case])
    response["Cache-Control"] = "no-store"
    return response
