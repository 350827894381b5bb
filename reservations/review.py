"""Bookings a supervisor should look at: a burst from one client, or more active bookings on one phone number
for one pass user than BOOKINGS_PER_PHONE. The public pages never tell a stranger about either (no phone-number
oracle); the supervisor sees them here and can cancel them, with a reason that is kept on each reservation."""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime

from django.conf import settings
from django.contrib.auth.models import User
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Count
from django.utils import timezone

from certificates.models import AccessLog
from certificates.services import access_log_record
from reservations import rules
from reservations.booking import reservation_cancel
from reservations.models import Reservation


def client_key(address: str) -> str:
    """A keyed hash of the client address: enough to see that bookings came from one client, without keeping
    the address itself."""
    return hmac.new(settings.SECRET_KEY.encode(), f"client:{address}".encode(), hashlib.sha256).hexdigest()[:16]


@dataclass
class Group:
    reason: str
    key: str
    reservations: list[Reservation] = field(default_factory=list)


def _upcoming(now: datetime):
    return Reservation.objects.filter(status=Reservation.Status.BOOKED, slot__day__gte=timezone.localdate(now))


def review_groups(*, now: datetime | None = None) -> list[Group]:
    now = now or timezone.now()
    groups: list[Group] = []
    threshold = settings.BOOKING_BURST_REVIEW
    clients = (
        _upcoming(now)
        .filter(channel=Reservation.Channel.WEB)
        .exclude(client_key="")
        .values("client_key")
        .annotate(n=Count("pk"))
        .filter(n__gte=threshold)
        .values_list("client_key", flat=True)
    )
    for key in clients:
        rows = list(_upcoming(now).filter(client_key=key).select_related("slot", "procedure").order_by("created_at"))
        groups.append(Group(reason=f"同じ端末からの予約 {len(rows)}件", key=key[:8], reservations=rows))
    limit = settings.BOOKINGS_PER_PHONE
    if limit:
        phones = (
            _upcoming(now)
            .exclude(phone_digits="")
            .values("phone_digits", "procedure")
            .annotate(n=Count("pk"))
            .filter(n__gt=limit)
        )
        for row in phones:
            rows = list(
                _upcoming(now)
                .filter(phone_digits=row["phone_digits"], procedure=row["procedure"])
                .select_related("slot", "procedure")
                .order_by("created_at")
            )
            # The limit is per pass user: household members sharing one phone may each hold a booking.
            by_user: dict[str, list[Reservation]] = {}
            for r in rows:
                key = rules.pass_user_key(
                    family_name=r.family_name, given_name=r.given_name, pass_user_name=r.pass_user_name
                )
                by_user.setdefault(key, []).append(r)
            over = [r for same in by_user.values() if len(same) > limit for r in same]
            if over:
                groups.append(
                    Group(
                        reason=f"同じ電話番号・同じ方の予約 {len(over)}件",
                        key=f"…{row['phone_digits'][-4:]}",
                        reservations=over,
                    )
                )
    return groups


def reservations_cancel_reviewed(
    *, reservation_ids: Iterable[int], reason: str, user: User, now: datetime | None = None
) -> list[Reservation]:
    """Cancel the chosen bookings from the review page; the reason is kept on each one and in the access log."""
    now = now or timezone.now()
    reason = " ".join((reason or "").split())
    if not reason:
        raise ValidationError({"reason": "取り消す理由を入力してください。"})
    ids = sorted({int(pk) for pk in reservation_ids})
    if not ids:
        raise ValidationError("取り消す予約を選んでください。")
    cancelled = []
    with transaction.atomic():
        for reservation in Reservation.objects.filter(pk__in=ids, status=Reservation.Status.BOOKED):
            cancelled.append(
                reservation_cancel(reservation=reservation, user=user, now=now, reason=f"確認のうえ取消：{reason}")
            )
            access_log_record(
                user=user,
                action=AccessLog.Action.UPDATE,
                resident=reservation.resident,
                detail=f"予約 {reservation.number} を取消（{reason}）"[:200],
            )
    return cancelled
