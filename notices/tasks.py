"""django-q2 tasks of the notices app: thin wrappers around the services."""

from __future__ import annotations

from datetime import date

from django.contrib.auth import get_user_model
from django.utils import timezone

from notices import feedback, services


def prepare_monthly_batch(month: str | None = None, user_id: int | None = None) -> int | None:
    target = date.fromisoformat(f"{month}-01") if month else services.default_target_month(timezone.localdate())
    user = get_user_model().objects.filter(pk=user_id).first() if user_id else None
    batches = services.notice_batches_prepare(month=target, user=user)
    return batches[0].pk if batches else None


def send_survey_mails() -> int:
    return feedback.survey_mails_send(now=timezone.now())


def retention() -> int:
    """Nightly: reservations, letters and batch PDFs past their retention periods (notices.services.retention_run)."""
    return services.retention_run().letters
