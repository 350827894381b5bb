"""Every template knows the signed-in user's role, for the menu."""

from typing import Any

from django.http import HttpRequest

from staff.roles import is_staff_member, is_supervisor, role_label


def staff_role(request: HttpRequest) -> dict[str, Any]:
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {"is_staff_member": False, "is_supervisor": False, "role_label": ""}
    return {
        "is_staff_member": is_staff_member(user),
        "is_supervisor": is_supervisor(user),
        "role_label": role_label(user),
    }
