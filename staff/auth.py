"""Staff login, throttled per account first and, far more loosely, per client address.

An attempt is counted *before* the password is checked and given back when the password was right, so thirty
attempts sent at once cannot all slip past a limit of five (checking first and counting afterwards let them). Only
failures therefore stay counted. The account limit protects one password; the address limit, ten times larger by
default, only slows down someone trying many accounts, so one stranger cannot lock the office out: their failures
count against the accounts they named and their own address, never against the office's.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django import forms
from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.forms import AuthenticationForm
from django.utils import timezone
from django.utils.crypto import salted_hmac

from staff import counters
from staff.events import security_event_record
from staff.form_messages import ClearMessages
from staff.models import SecurityEvent
from staff.net import client_address, limit_key


def account_key(username: str) -> str:
    """The counter of one account; a name that is no account still gets its own (hashed) counter, so the answer
    is the same whether or not the account exists."""
    user = get_user_model()._default_manager.filter(username=username).only("pk").first()
    if user is not None:
        return f"login-user:{user.pk}"
    return f"login-name:{salted_hmac('login-name', username.lower()).hexdigest()[:40]}"


def address_key(address: str) -> str:
    return f"login-addr:{limit_key(address)}"


def _period() -> int:
    return settings.LOGIN_FAILURE_MINUTES * 60


def account_locked_until(user: Any, *, now: datetime | None = None) -> datetime | None:
    return counters.blocked_until(f"login-user:{user.pk}", limit=settings.LOGIN_FAILURE_LIMIT, now=now)


def account_unlock(*, user: Any, by: Any, request: Any = None) -> bool:
    """A supervisor lifts an account's lock-out; False when it was not locked."""
    was_locked = account_locked_until(user) is not None
    counters.reset(f"login-user:{user.pk}")
    if was_locked:
        security_event_record(kind=SecurityEvent.Kind.UNLOCKED, request=request, user=user, by=by)
    return was_locked


@dataclass(frozen=True)
class _Reservation:
    key: str
    limit: int
    hit: counters.Hit


class ThrottledAuthenticationForm(ClearMessages, AuthenticationForm):
    error_messages = {
        **AuthenticationForm.error_messages,
        "locked": (
            "ログインの失敗が続いたため、このアカウントは %(until)s までログインできません。"
            "急ぐときは、係長に一時停止の解除を依頼してください。"
        ),
        "address_locked": (
            "この端末からのログインの失敗が多いため、%(until)s までログインできません。"
            "急ぐときは、係長に相談してください。"
        ),
    }

    def clean(self) -> dict[str, Any]:
        username = (self.data.get("username") or "")[:150]
        address = client_address(self.request) if self.request else "unknown"
        now = timezone.now()
        period = _period()
        taken = [
            _Reservation(k, limit, counters.hit(k, limit=limit, period=period, now=now))
            for k, limit in (
                (account_key(username), settings.LOGIN_FAILURE_LIMIT),
                (address_key(address), settings.LOGIN_ADDRESS_FAILURE_LIMIT),
            )
        ]
        refused = [t for t in taken if not t.hit.allowed]
        if refused:
            for t in taken:
                if t.hit.allowed:
                    counters.give_back(t.key)
            user = get_user_model()._default_manager.filter(username=username).first()
            account_refused = not taken[0].hit.allowed
            until = max(t.hit.resets_at or now for t in refused)
            security_event_record(
                kind=SecurityEvent.Kind.THROTTLED,
                request=self.request,
                user=user,
                detail="アカウント" if account_refused else "接続元",
            )
            raise forms.ValidationError(
                self.error_messages["locked" if account_refused else "address_locked"],
                code="throttled",
                params={"until": f"{timezone.localtime(until):%-m月%-d日 %H:%M}"},
            )
        try:
            cleaned = super().clean()
        except forms.ValidationError:
            self._record_lockouts(taken, username)
            raise
        counters.reset(taken[0].key)
        counters.give_back(taken[1].key)
        return cleaned

    def _record_lockouts(self, taken: list[_Reservation], username: str) -> None:
        """The failure that used up an allowance locks it: say so once, in the security record."""
        for index, t in enumerate(taken):
            if counters.blocked_until(t.key, limit=t.limit) is None:
                continue
            if index == 0:
                user = get_user_model()._default_manager.filter(username=username).first()
                security_event_record(
                    kind=SecurityEvent.Kind.LOCKED, request=self.request, user=user, detail="アカウント"
                )
            else:
                security_event_record(kind=SecurityEvent.Kind.LOCKED, request=self.request, detail="接続元")
