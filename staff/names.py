"""Staff names as Japanese write them: family name first (窓口 花子). Django's get_full_name() puts the given
name first, so nothing in the product calls it."""

from __future__ import annotations

from typing import Any


def staff_name(user: Any) -> str:
    """Family name, a space, given name; the user name when the account has no name recorded."""
    if user is None:
        return ""
    name = f"{user.last_name} {user.first_name}".strip()
    return name or user.get_username()
