"""Staff login: throttled per account and per client address, in the shared cache."""

from __future__ import annotations

import hashlib
from typing import Any

from django import forms
from django.conf import settings
from django.contrib.auth.forms import AuthenticationForm
from django.core.cache import cache

LOGIN_FAILURE_LIMIT = 5
LOGIN_FAILURE_WINDOW = 15 * 60


def _key(kind: str, value: str) -> str:
    return f"login-fail:{kind}:{hashlib.sha256(value.lower().encode()).hexdigest()[:32]}"


class ThrottledAuthenticationForm(AuthenticationForm):
    """After five failed attempts for an account, or from an address, the login waits fifteen minutes."""

    error_messages = {
        **AuthenticationForm.error_messages,
        "throttled": "ログインの失敗が続いたため、しばらくログインできません。15分ほど待ってからお試しください。",
    }

    def _keys(self) -> list[str]:
        address = self.request.META.get("REMOTE_ADDR", "") if self.request else ""
        username = (self.data.get("username") or "")[:150]
        return [_key("user", username), _key("addr", address)]

    def clean(self) -> dict[str, Any]:
        limit = getattr(settings, "LOGIN_FAILURE_LIMIT", LOGIN_FAILURE_LIMIT)
        if any((cache.get(key) or 0) >= limit for key in self._keys()):
            raise forms.ValidationError(self.error_messages["throttled"], code="throttled")
        try:
            return super().clean()
        except forms.ValidationError:
            for key in self._keys():
                cache.add(key, 0, timeout=LOGIN_FAILURE_WINDOW)
                try:
                    cache.incr(key)
                except ValueError:
                    cache.set(key, 1, timeout=LOGIN_FAILURE_WINDOW)
            raise
