"""What residents tell the office: complaints and opinions recorded by staff, and the anonymous survey."""

from __future__ import annotations

import hashlib
import hmac
from datetime import date, datetime

from django.conf import settings
from django.contrib.auth.models import User
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Max
from django.utils import timezone
from django.utils.translation import gettext as _

from notices.models import Complaint, ComplaintCategory, SurveyMail, SurveyResponse
from reservations.models import Reservation

TEXT_LIMIT = 1000


# --- complaints ------------------------------------------------------------------------------------------


def complaint_record(
    *,
    user: User,
    category: ComplaintCategory,
    channel: str,
    received_on: date,
    text: str = "",
    today: date | None = None,
) -> Complaint:
    today = today or timezone.localdate()
    errors = {}
    if not category.active:
        errors["category"] = "この区分は使われていません。別の区分を選んでください。"
    if channel not in Complaint.Channel.values:
        errors["channel"] = "受けた方法を選んでください。"
    if received_on > today:
        errors["received_on"] = "受けた日に未来の日付は指定できません。"
    text = (text or "").strip()
    if len(text) > TEXT_LIMIT:
        errors["text"] = f"内容は{TEXT_LIMIT}文字以内で入力してください（今は{len(text)}文字です）。"
    if errors:
        raise ValidationError(errors)
    return Complaint.objects.create(
        category=category, channel=channel, received_on=received_on, text=text, recorded_by=user
    )


def _clean_category_name(name: str, *, exclude_pk: int | None = None) -> str:
    name = " ".join((name or "").split())
    if not name:
        raise ValidationError({"name": "区分の名前を入力してください。"})
    if len(name) > 60:
        raise ValidationError({"name": "区分の名前は60文字以内で入力してください。"})
    same = ComplaintCategory.objects.filter(name=name)
    if exclude_pk is not None:
        same = same.exclude(pk=exclude_pk)
    if same.exists():
        raise ValidationError({"name": f"「{name}」はすでにあります。"})
    return name


@transaction.atomic
def complaint_category_add(*, name: str) -> ComplaintCategory:
    name = _clean_category_name(name)
    last = ComplaintCategory.objects.aggregate(m=Max("order"))["m"] or 0
    try:
        with transaction.atomic():
            return ComplaintCategory.objects.create(name=name, order=last + 10)
    except IntegrityError as exc:  # the same name added by someone else a moment ago
        raise ValidationError({"name": f"「{name}」はすでにあります。"}) from exc


@transaction.atomic
def complaint_category_update(*, category: ComplaintCategory, name: str, order: int, active: bool) -> ComplaintCategory:
    """Rename, move or retire a category. Complaints keep their category, so past months stay as counted."""
    category = ComplaintCategory.objects.select_for_update().get(pk=category.pk)
    category.name = _clean_category_name(name, exclude_pk=category.pk)
    category.order = max(0, min(int(order), 32767))
    if not active and category.active and ComplaintCategory.objects.filter(active=True).count() <= 1:
        raise ValidationError("使用中の区分を一つは残してください。")
    category.active = active
    category.save(update_fields=["name", "order", "active"])
    return category


# --- the survey ------------------------------------------------------------------------------------------


def token_digest(token: str) -> str:
    """A keyed digest of a reservation token: the same token always gives the same value, nobody can reverse it."""
    return hmac.new(settings.SECRET_KEY.encode(), f"survey:{token}".encode(), hashlib.sha256).hexdigest()


def survey_reservation(token: str) -> Reservation | None:
    """The reservation a survey link was made for, if the link is real and its data still kept."""
    if not token or len(token) > 64:
        return None
    return Reservation.objects.filter(token=token, anonymised_at__isnull=True).only("pk", "token").first()


def survey_already_answered(token: str) -> bool:
    return SurveyResponse.objects.filter(token_digest=token_digest(token)).exists()


def survey_answer(
    *,
    source: str,
    token: str | None = None,
    how_booked: str = "",
    letter_helped: str = "",
    wait: str = "",
    satisfaction: int | None = None,
    comment: str = "",
    now: datetime | None = None,
) -> SurveyResponse:
    """Store one answer. With a reservation's token, a second answer is refused (the database holds that)."""
    now = now or timezone.now()
    errors = {}
    for name, value, choices in (
        ("how_booked", how_booked, SurveyResponse.HowBooked.values),
        ("letter_helped", letter_helped, SurveyResponse.LetterHelped.values),
        ("wait", wait, SurveyResponse.Wait.values),
    ):
        if value and value not in choices:
            errors[name] = _("選択肢から選んでください。")
    if satisfaction is not None and not 1 <= satisfaction <= 5:
        errors["satisfaction"] = _("1から5のどれかを選んでください。")
    comment = (comment or "").strip()
    if len(comment) > TEXT_LIMIT:
        errors["comment"] = _("ご意見は%(limit)s文字以内でお書きください。") % {"limit": TEXT_LIMIT}
    if source not in SurveyResponse.Source.values:
        errors["source"] = "unknown source"
    if errors:
        raise ValidationError(errors)
    try:
        with transaction.atomic():
            return SurveyResponse.objects.create(
                submitted_at=now,
                source=source,
                token_digest=token_digest(token) if token else None,
                how_booked=how_booked,
                letter_helped=letter_helped,
                wait=wait,
                satisfaction=satisfaction,
                comment=comment,
            )
    except IntegrityError as exc:
        raise ValidationError(_("このアンケートにはすでにお答えいただいています。"), code="answered") from exc


def survey_mails_send(*, now: datetime | None = None, limit: int = 200) -> int:
    """E-mail the survey link once to each resident whose visit was marked done today or earlier.

    A row in SurveyMail is the claim: of two clusters running this at once, only one inserts it and sends. When
    the mail server refuses, the claim is removed so the next run tries again.
    """
    from notices import mail

    now = now or timezone.now()
    if not settings.SURVEY_EMAIL_ENABLED:
        return 0
    since = now - settings.SURVEY_EMAIL_WITHIN
    pending = (
        Reservation.objects.filter(
            status=Reservation.Status.DONE,
            status_changed_at__gte=since,
            status_changed_at__lte=now,
            anonymised_at__isnull=True,
            survey_mail__isnull=True,
        )
        .exclude(email="")
        .values_list("pk", flat=True)
    )
    sent = 0
    for pk in list(pending[:limit]):
        try:
            with transaction.atomic():
                claim = SurveyMail.objects.create(reservation_id=pk, sent_at=now)
        except IntegrityError:
            continue
        reservation = Reservation.objects.select_related("procedure__office").get(pk=pk)
        try:
            mail.send_survey_mail(reservation)
        except Exception:
            claim.delete()
            raise
        sent += 1
    return sent
