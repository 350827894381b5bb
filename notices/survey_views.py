"""The resident survey: public, anonymous, no login. Reached from the done page, the e-mail and the counter card."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods

from notices import feedback
from notices.feedback_forms import SurveyForm
from notices.models import SurveyResponse
from reservations import ratelimit
from reservations.models import Office
from staff.shortcuts import apply_errors


def _office() -> Office | None:
    return cache.get_or_set("office", lambda: Office.objects.first(), 60)


def _render(request: HttpRequest, template: str, context: dict[str, Any], status: int = 200) -> HttpResponse:
    context.setdefault("office", _office())
    response = render(request, template, context, status=status)
    # Answers are anonymous: no shared cache may keep a page that carries a reservation's link.
    response["Cache-Control"] = "no-store"
    response["Referrer-Policy"] = "same-origin"
    return response


def _handle(request: HttpRequest, *, source: str, token: str | None) -> HttpResponse:
    if token and feedback.survey_already_answered(token):
        return _render(request, "notices/public/survey_answered.html", {})
    form = SurveyForm(request.POST if request.method == "POST" else None)
    if request.method == "POST":
        if token is None and not ratelimit.client_hit("survey", request, settings.SURVEY_RATE):
            return _render(request, "reservations/public/too_many.html", {}, status=429)
        if form.is_valid():
            try:
                feedback.survey_answer(source=source, token=token, **form.cleaned_data)
            except ValidationError as exc:
                if getattr(exc, "code", None) == "answered":
                    return _render(request, "notices/public/survey_answered.html", {})
                apply_errors(form, exc)
            else:
                return redirect("survey:thanks")
    return _render(request, "notices/public/survey.html", {"form": form})


@require_http_methods(["GET", "POST"])
def survey_card(request: HttpRequest) -> HttpResponse:
    """From the QR card at the counter: anyone may answer, so answers are rate-limited per address."""
    return _handle(request, source=SurveyResponse.Source.CARD, token=None)


@require_http_methods(["GET", "POST"])
def survey_reservation(request: HttpRequest, token: str) -> HttpResponse:
    """From the done page or the e-mail after the visit: one answer per reservation."""
    if feedback.survey_reservation(token) is None:
        raise Http404
    source = SurveyResponse.Source.EMAIL if request.GET.get("from") == "email" else SurveyResponse.Source.DONE_PAGE
    return _handle(request, source=source, token=token)


def survey_thanks(request: HttpRequest) -> HttpResponse:
    return _render(request, "notices/public/survey_thanks.html", {})
