"""Staff roles: the groups `clerk` and `supervisor`, created by a data migration."""

from __future__ import annotations

from collections.abc import Callable
from functools import cache, wraps
from typing import Any
from urllib.parse import quote

from django.contrib.auth.backends import ModelBackend
from django.contrib.auth.decorators import login_required
from django.contrib.auth.models import Group, User
from django.core.exceptions import PermissionDenied
from django.db import connection
from django.http import HttpRequest, HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import redirect
from django.urls import reverse
from django_otp import device_classes, user_has_device


class StaffRequest(HttpRequest):
    """The request a staff_required or supervisor_required view receives: its user has signed in."""

    user: User


CLERK = "clerk"
SUPERVISOR = "supervisor"

# Shown on the 403 page (templates/403.html) to the person who was refused.
NOT_STAFF = (
    "このページは職員だけが使えます。このアカウントには職員の役割（窓口職員・係長）が設定されていません。"
    "必要な場合は、係長に役割の設定を依頼してください。"
)
NOT_SUPERVISOR = (
    "このページは係長だけが使えます（開庁日・定員、お知らせ、閲覧記録、職員アカウントなど）。"
    "必要な操作があるときは、係長に依頼してください。"
)


@cache
def _user_with_roles_sql() -> str:
    """The user's row with three more columns: in the clerk group, in the supervisor group, has a confirmed
    authenticator app (of any django-otp device kind installed). Plain SQL that SQLite and PostgreSQL both run:
    built through the ORM (three Exists subqueries) the statement took four times as long to compose as the
    three queries it replaces took to run."""
    q = connection.ops.quote_name
    memberships, groups = User.groups.through._meta.db_table, Group._meta.db_table
    in_group = (
        f"EXISTS (SELECT 1 FROM {q(memberships)} m INNER JOIN {q(groups)} g ON g.id = m.group_id "
        "WHERE m.user_id = u.id AND g.name = %s)"
    )
    devices = " OR ".join(
        f"EXISTS (SELECT 1 FROM {q(model._meta.db_table)} d WHERE d.user_id = u.id AND d.confirmed)"
        for model in device_classes()
    )
    return (
        f"SELECT u.*, {in_group} AS madoguchi_clerk, {in_group} AS madoguchi_supervisor, "
        f"{devices or 'FALSE'} AS madoguchi_second_factor FROM {q(User._meta.db_table)} u WHERE u.id = %s"
    )


class StaffBackend(ModelBackend):
    """Django's model backend, reading the signed-in user together with their roles and whether they have
    registered an authenticator app: one query on every staff page instead of three."""

    def get_user(self, user_id: Any) -> User | None:
        user: Any = next(iter(User._default_manager.raw(_user_with_roles_sql(), [CLERK, SUPERVISOR, user_id])), None)
        if user is None or not self.user_can_authenticate(user):
            return None
        roles = {CLERK} if user.madoguchi_clerk else set()
        if user.madoguchi_supervisor:
            roles.add(SUPERVISOR)
        if user.is_superuser:
            roles |= {CLERK, SUPERVISOR}
        # Kept on the user for this request, where user_roles and has_second_factor look first.
        user._madoguchi_roles = roles
        user._madoguchi_second_factor = bool(user.madoguchi_second_factor)
        return user


def user_roles(user: Any) -> set[str]:
    if not user.is_authenticated:
        return set()
    cached = getattr(user, "_madoguchi_roles", None)
    if cached is None:
        cached = set(user.groups.values_list("name", flat=True))
        if user.is_superuser:
            cached |= {CLERK, SUPERVISOR}
        user._madoguchi_roles = cached
    return cached


def is_staff_member(user: Any) -> bool:
    return bool(user_roles(user) & {CLERK, SUPERVISOR})


def is_supervisor(user: Any) -> bool:
    return SUPERVISOR in user_roles(user)


def role_label(user: Any) -> str:
    if is_supervisor(user):
        return "係長"
    if is_staff_member(user):
        return "窓口職員"
    return ""


def is_verified(user: Any) -> bool:
    """This session passed the second factor (django_otp's OTPMiddleware gives the user is_verified)."""
    return bool(user.is_verified())


def has_second_factor(user: Any) -> bool:
    """The user has a confirmed authenticator app (as read with the signed-in user by StaffBackend, for the
    request)."""
    known = getattr(user, "_madoguchi_second_factor", None)
    if known is not None:
        return bool(known)
    return user_has_device(user, confirmed=True)


def _second_factor(request: HttpRequest, *, required: bool) -> HttpResponse | None:
    """A redirect to the one-time code (or to setting it up) when this session still needs it, else None.

    Anyone who has set up an authenticator app must use it; supervisors must have one."""
    if is_verified(request.user):
        return None
    next_url = quote(request.get_full_path())
    if has_second_factor(request.user):
        return redirect(f"{reverse('otp_verify')}?next={next_url}")
    if required:
        return redirect(f"{reverse('otp_setup')}?next={next_url}")
    return None


def staff_required(view: Callable[..., HttpResponseBase]) -> Callable[..., HttpResponseBase]:
    @login_required
    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        if not is_staff_member(request.user):
            raise PermissionDenied(NOT_STAFF)
        needed = _second_factor(request, required=is_supervisor(request.user))
        return needed or view(request, *args, **kwargs)

    return wrapper


def supervisor_required(view: Callable[..., HttpResponseBase]) -> Callable[..., HttpResponseBase]:
    @login_required
    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        if not is_supervisor(request.user):
            raise PermissionDenied(NOT_SUPERVISOR)
        needed = _second_factor(request, required=True)
        return needed or view(request, *args, **kwargs)

    return wrapper
