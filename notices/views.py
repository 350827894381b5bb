"""Supervisor pages: monthly batches, the print PDF, letters' status, outcomes, forecast, the wording."""

from __future__ import annotations

from pathlib import Path

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import FileResponse, Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views.decorators.http import require_http_methods, require_POST

from certificates.models import AccessLog
from certificates.services import access_log_record
from notices import evidence, furigana, letters, pdf, report, services
from notices.forms import LetterStatusForm, LetterTemplateForm, MailedForm, MonthForm, ReadingCorrectionForm
from notices.models import Letter, NoticeBatch, ReadingCorrection
from reservations.models import Office
from staff.roles import StaffRequest, supervisor_required
from staff.shortcuts import apply_errors


@supervisor_required
@require_http_methods(["GET", "POST"])
def batch_list(request: StaffRequest) -> HttpResponse:
    today = timezone.localdate()
    form = MonthForm(request.POST or None, initial={"month": f"{services.default_target_month(today):%Y-%m}"})
    if request.method == "POST" and form.is_valid():
        try:
            batches = services.notice_batches_prepare(month=form.cleaned_data["month"], user=request.user)
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            if not batches:
                messages.info(request, "この月にお知らせを送る対象の方はいません。")
                return redirect("notices:batch_list")
            for batch in batches:
                if batch.status == NoticeBatch.Status.PREPARING:
                    messages.info(
                        request, "別の処理がこの月のお知らせを作成しています。しばらくしてから確かめてください。"
                    )
                else:
                    messages.success(request, f"{batch.label}のお知らせ（{batch.letter_count}通）を用意しました。")
            if len(batches) > 1:
                return redirect("notices:batch_list")
            return redirect("notices:batch_detail", pk=batches[0].pk)
    listed = NoticeBatch.objects.select_related("prepared_by", "mailed_by", "office")
    return render(request, "notices/batch_list.html", {"form": form, "batches": listed})


def _batch_tables(batch: NoticeBatch) -> list[evidence.Table]:
    """The batch's letters and how they were booked: the outcome report's own figures (report.funnel)."""
    figures = report.funnel_for_batch(batch)
    whose = f"{batch.label}の回"
    return [
        evidence.letters_table(figures, batch.label, whose=whose),
        evidence.channel_table(figures, batch.label, whose=whose),
    ]


@supervisor_required
@require_http_methods(["GET", "POST"])
def batch_detail(request: StaffRequest, pk: int) -> HttpResponse:
    batch = get_object_or_404(NoticeBatch, pk=pk)
    mailed_form = MailedForm(
        request.POST if request.POST.get("action") == "mailed" else None, initial={"mailed_on": timezone.localdate()}
    )
    if request.method == "POST":
        action = request.POST.get("action")
        try:
            if action == "mailed" and mailed_form.is_valid():
                services.notice_batch_mark_mailed(batch=batch, user=request.user, **mailed_form.cleaned_data)
                messages.success(request, "発送済みにしました。")
                return redirect("notices:batch_detail", pk=pk)
            if action == "regenerate":
                services.notice_batch_regenerate(batch=batch, user=request.user)
                messages.success(request, "PDFを作り直しました。")
                return redirect("notices:batch_detail", pk=pk)
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
    letters_page = Letter.objects.filter(batch=batch).select_related("invitation").order_by("postal_code", "pk")
    access_log_record(user=request.user, action=AccessLog.Action.VIEW, detail=f"お知らせ一覧 {batch.label}")
    context = {
        "batch": batch,
        "letters": letters_page,
        "mailed_form": mailed_form,
        "tables": _batch_tables(batch),
        # Address blocks that cannot fit the envelope window, named before anything is printed.
        "unfit": letters.letters_not_fitting(batch, letters.letter_template()),
        # Offices whose address, hours or the wording make the letter's bottom panel too long for the sheet.
        "contact_unfit": letters.offices_not_fitting(batch, letters.letter_template()),
        # The letters not printed because the resident has already booked, beside the count of those printed.
        "already_booked": Letter.objects.filter(batch=batch, status=Letter.Status.ALREADY_BOOKED).count(),
        "status_form": LetterStatusForm(),
        "events": batch.events.select_related("user")[:20],
    }
    return render(request, "notices/batch_detail.html", context)


@supervisor_required
def batch_pdf(request: StaffRequest, pk: int) -> FileResponse:
    batch = get_object_or_404(NoticeBatch, pk=pk)
    if not batch.pdf_path:
        raise Http404("PDF is not ready")
    path = Path(settings.MEDIA_ROOT) / batch.pdf_path
    if not path.exists():
        raise Http404("PDF file is missing")
    access_log_record(user=request.user, action=AccessLog.Action.EXPORT, detail=f"お知らせPDF {batch.label}")
    return FileResponse(
        open(path, "rb"),
        as_attachment=True,  # FileResponse closes the file
        filename=path.name,
        content_type="application/pdf",
    )


@supervisor_required
def letter_pdf(request: StaffRequest, pk: int) -> HttpResponse:
    letter = get_object_or_404(
        Letter.objects.select_related(
            "batch", "resident", "invitation__procedure__certificate_kind", "invitation__procedure__office"
        ),
        pk=pk,
        anonymised_at__isnull=True,
        # A letter not sent because the resident had already booked has no booking code and no page.
        invitation__isnull=False,
    )
    template = letters.letter_template()
    body = letters.letter_html_body(
        letter,
        template=template,
        office=letter.invitation.procedure.office if letter.invitation else Office.main(),
        today=timezone.localdate(letter.batch.created_at),
    )
    access_log_record(
        user=request.user, action=AccessLog.Action.VIEW, resident=letter.resident, detail=f"お知らせ #{letter.pk}"
    )
    response = HttpResponse(pdf.html_to_pdf(letters.document([body], template)), content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="letter-{letter.pk}.pdf"'
    return response


@supervisor_required
@require_POST
def letter_status(request: StaffRequest, pk: int) -> HttpResponse:
    letter = get_object_or_404(Letter, pk=pk)
    form = LetterStatusForm(request.POST)
    if form.is_valid():
        try:
            services.letter_set_status(letter=letter, user=request.user, **form.cleaned_data)
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
        else:
            messages.success(
                request, f"お知らせ #{letter.pk} を「{Letter.Status(form.cleaned_data['status']).label}」にしました。"
            )
    else:
        messages.error(request, "理由を入力してください。")
    return redirect("notices:batch_detail", pk=letter.batch_id)


@supervisor_required
@require_http_methods(["GET", "POST"])
def template_edit(request: StaffRequest) -> HttpResponse:
    template = letters.letter_template()
    form = LetterTemplateForm(request.POST or None, instance=template)
    if request.method == "POST" and form.is_valid():
        try:
            services.letter_template_save(template=form.save(commit=False), user=request.user)
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            messages.success(request, "文面を保存しました。次に作成するお知らせから使われます。")
            return redirect("notices:template_edit")
    return render(request, "notices/template_edit.html", {"form": form})


@supervisor_required
def template_preview(request: StaffRequest) -> HttpResponse:
    """A sample letter with made-up data, so the wording can be checked without opening anyone's record;
    ?large=1 and ?furigana=1 show the two-sheet variants."""
    template = letters.letter_template()
    context = letters.sample_context(
        template=template,
        today=timezone.localdate(),
        large_print=request.GET.get("large") == "1",
        furigana=request.GET.get("furigana") == "1",
    )
    from django.template.loader import render_to_string

    body = render_to_string("notices/letter_page.html", context)
    try:
        content = pdf.html_to_pdf_within(letters.document([body], template), seconds=settings.NOTICE_PREVIEW_SECONDS)
    except pdf.RenderTimeout:
        messages.error(request, "見本のPDFを時間内に作れませんでした。文面を短くしてから、もう一度お試しください。")
        return redirect("notices:template_edit")
    response = HttpResponse(content, content_type="application/pdf")
    response["Content-Disposition"] = 'inline; filename="letter-preview.pdf"'
    return response


@supervisor_required
def calibration_pdf(request: StaffRequest) -> HttpResponse:
    """One sheet with the envelope window's rectangle, the creases and a sample address, to check the office's
    envelopes and printer before a batch is printed."""
    template = letters.letter_template()
    response = HttpResponse(pdf.html_to_pdf(letters.calibration_html(template)), content_type="application/pdf")
    response["Content-Disposition"] = 'inline; filename="envelope-calibration.pdf"'
    return response


@supervisor_required
@require_http_methods(["GET", "POST"])
def readings(request: StaffRequest) -> HttpResponse:
    """The office's own readings for the letters' furigana."""
    form = ReadingCorrectionForm(request.POST if request.POST.get("action") == "save" else None)
    if request.method == "POST":
        try:
            if request.POST.get("action") == "delete":
                correction = get_object_or_404(ReadingCorrection, pk=request.POST.get("pk"))
                services.reading_correction_delete(correction=correction, user=request.user)
                messages.success(request, f"「{correction.word}」の読みの修正を削除しました。")
                return redirect("notices:readings")
            if form.is_valid():
                correction = services.reading_correction_save(user=request.user, **form.cleaned_data)
                messages.success(request, f"「{correction.word}」を「{correction.reading}」と読むようにしました。")
                return redirect("notices:readings")
        except ValidationError as exc:
            apply_errors(form, exc)
    sample = request.GET.get("try", "").strip()[:200]
    context = {
        "form": form,
        "corrections": ReadingCorrection.objects.select_related("updated_by"),
        "sample": sample,
        "sample_html": furigana.ruby(sample, fixed=furigana.corrections()) if sample else "",
    }
    return render(request, "notices/readings.html", context)
