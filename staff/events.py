"""The security record: logins, failures, lock-outs, unlocks and two-factor events.

Written from Django's login signals and from the login, two-factor and account views. A failed login for a user
name that does not exist keeps no name (people type their password into the name field), only the address."""

from __future__ import annotations

import logging
from typing import Any

from django.contrib.auth import get_user_model
from django.contrib.auth.signals import user_logged_in, user_logged_out, user_login_failed
from django.dispatch import receiver
from django.http import HttpRequest

from staff.models import SecurityEvent
from staff.net import client_address

logger = logging.getLogger("madoguchi.security")


def security_event_record(
    *,
    kind: str,
    request: HttpRequest | None = None,
    user: Any = None,
    by: Any = None,
    detail: str = "",
) -> SecurityEvent:
    address = client_address(request) if request is not None else ""
    user_id = getattr(user, "pk", None)
    by_id = getattr(by, "pk", None)
    logger.info("security %s user=%s by=%s address=%s %s", kind, user_id, by_id, address, detail)
    return SecurityEvent.objects.create(kind=kind, user_id=user_id, by_id=by_id, address=address, detail=detail[:200])


@receiver(user_logged_in, dispatch_uid="security-login")
def _logged_in(sender: Any, request: HttpRequest | None, user: Any, **kwargs: Any) -> None:
    security_event_record(kind=SecurityEvent.Kind.LOGIN, request=request, user=user)


@receiver(user_logged_out, dispatch_uid="security-logout")
def _logged_out(sender: Any, request: HttpRequest | None, user: Any, **kwargs: Any) -> None:
    if user is not None:
        security_event_record(kind=SecurityEvent.Kind.LOGOUT, request=request, user=user)


@receiver(user_login_failed, dispatch_uid="security-login-failed")
def _login_failed(sender: Any, credentials: dict[str, Any], request: HttpRequest | None = None, **kwargs: Any) -> None:
    username = str(credentials.get("username", ""))[:150]
    user = get_user_model()._default_manager.filter(username=username).first() if username else None
    security_event_record(
        kind=SecurityEvent.Kind.LOGIN_FAILED,
        request=request,
        user=user,
        detail="" if user else "登録のないユーザー名",
    )
