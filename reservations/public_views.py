"""The resident's pages: no account, Japanese first, no JavaScript needed.

The booking in progress lives in an encrypted cookie (reservations/flow.py: procedure, slot, acknowledgements,
contact details, invitation code), so the back button and a reload never lose what was typed, nothing personal
goes into a URL, and no step writes to the server before the booking itself.
"""

from __future__ import annotations

import functools
from datetime import date, datetime, time, timedelta
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.contrib.messages.storage.cookie import CookieStorage
from django.core.exceptions import DisallowedHost, ValidationError
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import redirect, render
from django.urls import Resolver404, get_urlconf, resolve
from django.utils import timezone, translation
from django.utils.html import escape
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_http_methods, require_POST

from certificates import rules as certificate_rules
from reservations import (
    availability,
    booking,
    flow,
    guidance,
    invitations,
    local_cache,
    ratelimit,
    review,
    rules,
    selectors,
)
from reservations.forms import AcknowledgementForm, CodeForm, ContactForm, LookupForm
from reservations.models import Invitation, Office, Procedure, Reservation, Slot, normalize_code
from staff.net import client_address

SESSION_KEY = "booking"


def _state(request: HttpRequest) -> dict[str, Any]:
    return flow.get(request, SESSION_KEY) or {}


def _save(request: HttpRequest, state: dict[str, Any]) -> None:
    flow.put(request, SESSION_KEY, state)


def _office() -> Office | None:
    # On every public page; the office's address and phone change rarely, a minute's delay is harmless.
    return local_cache.get_or_set("office", lambda: Office.objects.first())


def _lang(request: HttpRequest) -> str:
    return "en" if getattr(request, "LANGUAGE_CODE", "ja") == "en" else "ja"


def _post_allowed(request: HttpRequest) -> bool:
    return ratelimit.client_hit("public-post", request, settings.PUBLIC_POST_RATE)


def _too_many(request: HttpRequest) -> HttpResponse:
    return render(request, "reservations/public/too_many.html", {"office": _office()}, status=429)


def _render(request: HttpRequest, template: str, context: dict[str, Any], status: int = 200) -> HttpResponse:
    context.setdefault("office", _office())
    context.setdefault("lang", _lang(request))
    if "step" in context:
        context["steps"] = _steps(context["step"])
    response = render(request, template, context, status=status)
    response["Cache-Control"] = "no-store"
    return response


def _active_procedure(*, pk: int | None = None, slug: str | None = None) -> Procedure | None:
    """The active procedure with its certificate kind and office. Read on every step of every booking, so it
    is kept for a minute in each process (reservations/local_cache.py); an administrator's edit shows within
    that minute."""
    if not pk and not slug:
        return None
    key = f"procedure:{pk}" if pk else f"procedure-slug:{slug}"

    def load() -> Procedure | int:
        lookup = {"pk": pk} if pk else {"slug": slug}
        found = Procedure.objects.select_related("certificate_kind", "office").filter(is_active=True, **lookup).first()
        return found or 0  # 0, not None, so a missing procedure is cached too

    return local_cache.get_or_set(key, load) or None


def _procedure_from_state(state: dict[str, Any]) -> Procedure | None:
    return _active_procedure(pk=state.get("procedure"))


def _slot_from_state(state: dict[str, Any], procedure: Procedure) -> Slot | None:
    """The chosen slot. A slot's day and times never change (slots are made once and only their places move), so
    the booking in progress carries them from the times page and the following pages read no row. The booking
    takes the place with a conditional UPDATE of the row that also checks its procedure, day and times, which is
    where a full (or any other) slot is refused."""
    if not state.get("slot"):
        return None
    at = state.get("slot_at")
    if isinstance(at, list) and len(at) == 3:
        try:
            day, start, end = date.fromisoformat(at[0]), time.fromisoformat(at[1]), time.fromisoformat(at[2])
        except (TypeError, ValueError):
            pass
        else:
            return Slot(pk=state["slot"], procedure=procedure, day=day, start=start, end=end)
    return Slot.objects.filter(pk=state["slot"], procedure=procedure).first()


def language(request: HttpRequest, code: str) -> HttpResponse:
    """Switch between Japanese and English with a plain link, so public pages need no form for it."""
    from django.utils.http import url_has_allowed_host_and_scheme

    target = request.GET.get("next", "/")
    if not target.startswith("/") or not url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=False
    ):
        target = "/"
    response = HttpResponseRedirect(target)
    if code in dict(settings.LANGUAGES):
        response.set_cookie(
            settings.LANGUAGE_COOKIE_NAME,
            code,
            max_age=365 * 24 * 3600,
            samesite="Lax",
            secure=settings.SESSION_COOKIE_SECURE,
        )
    return response


def page_not_found(request: HttpRequest, exception: Exception) -> HttpResponse:
    """The friendly 404 (templates/404.html): in the visitor's language, with the ways on and the office's phone."""
    return _render(request, "404.html", {}, status=404)


def home(request: HttpRequest) -> HttpResponse:
    lang = _lang(request)
    procedures = list(
        Procedure.objects.filter(is_active=True)
        .select_related("certificate_kind", "office")
        .prefetch_related("hours")
        .order_by("office_id", "id")
    )
    # The same procedure is offered at each office under the same name: with more than one office, each entry
    # names its own, or the list looks like a duplicate.
    several_offices = len({p.office_id for p in procedures}) > 1
    # What to bring is on the first page, so a resident (or the relative helping) can prepare before starting.
    rows = [
        {
            "procedure": p,
            "name": (lang == "en" and p.name_en) or p.name,
            "office": p.office.in_language(lang)["name"] if several_offices else "",
            "bring": guidance.bring_items(p, language=lang),
        }
        for p in procedures
    ]
    # Whether a visit without a booking is served is each procedure's setting (walk_ins_accepted, which the
    # clerk's walk-in check follows): said once for the page when every procedure has the same rule.
    rules_set = {p.walk_ins_accepted for p in procedures}
    walk_ins = rules_set.pop() if len(rules_set) == 1 else None
    return _render(request, "reservations/public/home.html", {"procedures": rows, "walk_ins": walk_ins})


def book_start(request: HttpRequest) -> HttpResponse:
    procedures = list(Procedure.objects.filter(is_active=True).select_related("office").order_by("office_id", "id"))
    state = _state(request)
    if state.pop("change", None):
        # Starting a new booking leaves a half-done change behind.
        _save(request, {})
    if len(procedures) == 1:
        return redirect("public:book_calendar", slug=procedures[0].slug)
    return _render(request, "reservations/public/choose_procedure.html", {"procedures": procedures, "state": state})


@require_http_methods(["GET", "POST"])
def book_code(request: HttpRequest) -> HttpResponse:
    form = CodeForm(request.POST or None)
    if request.method == "POST":
        if not _post_allowed(request):
            return _too_many(request)
        if form.is_valid():
            return redirect("public:book_invitation", code=normalize_code(form.cleaned_data["code"]) or "-")
    return _render(request, "reservations/public/code.html", {"form": form})


def book_invitation(request: HttpRequest, code: str) -> HttpResponse:
    if not ratelimit.client_hit("invitation", request, settings.BOOKING_LOOKUP_RATE):
        return _too_many(request)
    try:
        invitation = invitations.invitation_find(code[:20], today=timezone.localdate())
    except ValidationError as exc:
        return _render(request, "reservations/public/code_invalid.html", {"error": exc.messages[0]}, status=404)
    _start_with_invitation(request, invitation)
    messages.info(request, _("予約コードを確認しました。日にちと時間を選んでください。"))
    return redirect("public:book_calendar", slug=invitation.procedure.slug)


def _start_with_invitation(request: HttpRequest, invitation: Invitation) -> None:
    """A booking in progress that carries the letter's code, so the booking counts for the letter."""
    resident = invitation.resident
    # Only the name, which the letter already shows: the code never reveals the phone number or e-mail address
    # the office holds. The resident types them.
    _save(
        request,
        {
            "procedure": invitation.procedure_id,
            "invitation": invitation.code,
            "contact": {
                "family_name": resident.family_name,
                "given_name": resident.given_name,
                "family_name_kana": resident.family_name_kana,
                "given_name_kana": resident.given_name_kana,
                "phone": "",
                "email": "",
                "pass_user_name": "",
            },
        },
    )


def _open_invitation(reservation: Reservation) -> Invitation | None:
    """The letter's code of a cancelled booking, when it can still be used: cancelling gives the code back."""
    if reservation.status != Reservation.Status.CANCELLED or reservation.invitation_id is None:
        return None
    invitation = Invitation.objects.select_related("resident", "procedure").get(pk=reservation.invitation_id)
    return invitation if invitation.is_open(timezone.localdate()) else None


def _month_param(value: str) -> tuple[int, int] | None:
    try:
        year, month = (int(x) for x in value.split("-"))
        date(year, month, 1)
        return year, month
    except ValueError:
        return None


def _calendar_month(
    request: HttpRequest, procedure: Procedure, now: datetime
) -> tuple[tuple[int, int] | None, dict[str, Any] | None, str]:
    """The month asked for (None: the first month with a free place), what to say when it cannot be booked yet,
    and the raw `month` parameter."""
    today = timezone.localdate(now)
    _first, last = rules.bookable_range(procedure=procedure, now=now)
    # Without a month asked for, the calendar opens on the month of the first day with a free place: on the
    # 28th, a resident should not face a month of greyed-out days and have to find the next-month button.
    raw = request.GET.get("month", "")
    wanted = _month_param(raw) if raw else None
    not_yet = None
    if wanted is not None and wanted > (last.year, last.month):
        # A letter's reader looks for the month their certificate runs out, before it can be booked.
        month_start = date(*wanted, 1)
        not_yet = {"month": month_start, "opens_on": month_start - timedelta(days=procedure.days_ahead)}
        wanted = None
    if wanted is not None and wanted < (today.year, today.month):
        wanted = None
    return wanted, not_yet, raw


@functools.lru_cache(maxsize=1024)
def _calendar_slug(urlconf: str, path: str) -> str | None:
    """The procedure's slug when the address is its calendar page, else None; each process remembers its last
    answers (a bounded cache: the calendar's few addresses, and whatever else was asked lately)."""
    try:
        match = resolve(path, urlconf)
    except Resolver404:
        return None
    return match.kwargs["slug"] if match.func is book_calendar else None


def calendar_from_store(request: HttpRequest) -> HttpResponse | None:
    """The stored calendar page for this request, looked up before the session, CSRF, authentication and message
    layers (page_cache.CalendarPageMiddleware); None when the view must run. The visitor carries no staff
    session and no waiting message, and their booking in progress is already for this procedure (otherwise the
    view writes it first)."""
    if settings.SESSION_COOKIE_NAME in request.COOKIES or CookieStorage.cookie_name in request.COOKIES:
        return None
    try:
        request.get_host()  # a Host not in ALLOWED_HOSTS is refused by CommonMiddleware, as for any page
    except DisallowedHost:
        return None
    slug = _calendar_slug(get_urlconf() or settings.ROOT_URLCONF, request.path_info)
    if slug is None:
        return None
    procedure = _active_procedure(slug=slug)
    if procedure is None:
        return None
    state = _state(request)
    if state.get("procedure") != procedure.pk:
        return None
    now = timezone.now()
    lang = "en" if translation.get_language_from_request(request) == "en" else "ja"
    wanted, _not_yet, raw = _calendar_month(request, procedure, now)
    variant = _page_variant(request, state, wanted=wanted, raw=raw, now=now, lang=lang)
    if variant is None:
        return None
    current, page = availability.page_or_wait(procedure.pk, variant)
    if page is not None:
        return page.response()
    setattr(request, availability.LOOKED_UP_ATTR, (variant, current))
    return None


def book_calendar(request: HttpRequest, slug: str) -> HttpResponse:
    procedure = _active_procedure(slug=slug)
    if procedure is None:
        raise Http404
    state = _state(request)
    if state.get("procedure") != procedure.pk:
        # Choosing another office keeps the letter's code and the details it filled in; the booking service
        # accepts the code for the same procedure at any office.
        kept = {key: state[key] for key in ("change", "invitation", "contact") if state.get(key)}
        state = {"procedure": procedure.pk, **kept}
        _save(request, state)
    now = timezone.now()
    lang = _lang(request)
    today = timezone.localdate(now)
    last = rules.bookable_range(procedure=procedure, now=now)[1]
    wanted, not_yet, raw = _calendar_month(request, procedure, now)
    looked_up = getattr(request, availability.LOOKED_UP_ATTR, None)
    if looked_up is not None:
        # The middleware looked for a stored page and found none: the page is made and stored below.
        variant, current = looked_up
    else:
        variant = _page_variant(request, state, wanted=wanted, raw=raw, now=now, lang=lang)
        current = None
        if variant is not None:
            current, page = availability.page_or_wait(procedure.pk, variant)
            if page is not None:
                return page.response()
    places_left = None
    if wanted is None:
        wanted, places_left = selectors.opening_month(procedure=procedure, now=now)
    year, month = wanted
    table = availability.month_table(
        procedure=procedure, year=year, month=month, now=now, language=lang, places_left=places_left
    )
    prev_month = (date(year, month, 1) - timedelta(days=1)).replace(day=1)
    next_month = (date(year, month, 28) + timedelta(days=7)).replace(day=1)
    context = {
        "procedure": procedure,
        "other_offices": _same_procedure_elsewhere(procedure),
        "month_table": mark_safe(table),  # rendered by our own template, autoescaped
        "month": date(year, month, 1),
        "prev_month": prev_month if prev_month >= date(today.year, today.month, 1) else None,
        "next_month": next_month if next_month <= last else None,
        "state": state,
        "step": 1,
        "not_yet": not_yet,
        # A letter's reader books before the certificate runs out: the date is the one the letter printed.
        "expires_on": Invitation.objects.filter(code=state["invitation"])
        .values_list("certificate__expires_on", flat=True)
        .first()
        if state.get("invitation")
        else None,
    }
    response = _render(request, "reservations/public/calendar.html", context)
    response["Server-Timing"] = availability.server_timing(cached=False)
    if variant is not None and current is not None:
        # Stored by page_cache.CalendarPageMiddleware once the layers below have added their headers.
        setattr(request, availability.STORE_ATTR, (procedure.pk, variant, current))
    return response


def _page_variant(
    request: HttpRequest,
    state: dict[str, Any],
    *,
    wanted: tuple[int, int] | None,
    raw: str,
    now: datetime,
    lang: str,
) -> str | None:
    """What the whole calendar page depends on, as a cache key; None when the page must be rendered for this
    visitor alone: a staff session (the staff header), a message waiting to be shown, or a query string other
    than the month shown (the language link repeats the address), or a booking from a letter (the page shows
    that certificate's expiry date). Without a month asked for, the page shows the first month with a free place,
    which changes only with the availability version the page is kept under."""
    if settings.SESSION_COOKIE_NAME in request.COOKIES or len(messages.get_messages(request)):
        return None
    if state.get("invitation"):
        return None
    shown = f"{wanted[0]}-{wanted[1]:02d}" if wanted else "first"
    # The page repeats its own address (the language link): only the calendar's own addresses, spelt exactly
    # as the calendar writes them, are stored for everyone.
    if request.META.get("QUERY_STRING", "") not in ("", f"month={shown}"):
        return None
    flags = f"{int(bool(state.get('change')))}{int(bool(state.get('invitation')))}"
    return f"{shown}:{timezone.localtime(now):%Y%m%d%H}:{lang}:{flags}:{raw}"


def _same_procedure_elsewhere(procedure: Procedure) -> list[Procedure]:
    """The same procedure at the city's other offices: a resident may book at any counter."""
    if procedure.certificate_kind_id is None:
        return []
    kind_id = procedure.certificate_kind_id

    def load() -> list[Procedure]:
        return list(
            Procedure.objects.filter(is_active=True, certificate_kind_id=kind_id)
            .select_related("office")
            .order_by("office_id", "id")
        )

    # Offices and procedures change rarely: kept in the process like the procedure itself (local_cache).
    return [p for p in local_cache.get_or_set(f"kind-procedures:{kind_id}", load) if p.pk != procedure.pk]


@require_http_methods(["GET", "POST"])
def book_times(request: HttpRequest, slug: str, day: date) -> HttpResponse:
    procedure = _active_procedure(slug=slug)
    if procedure is None:
        raise Http404
    state = _state(request)
    now = timezone.now()
    if not rules.day_is_bookable(procedure=procedure, day=day, now=now):
        messages.error(request, _("この日は予約できません。別の日を選んでください。"))
        return redirect("public:book_calendar", slug=slug)
    if request.method == "POST":
        if not _post_allowed(request):
            return _too_many(request)
        slot_id = _int(request.POST.get("slot"))
        slot = selectors.day_slot(procedure=procedure, day=day, slot_id=slot_id) if slot_id else None
        if slot is None:
            messages.error(request, _("選択した時間は予約できません。もう一度選んでください。"))
        elif slot.left <= 0:
            messages.error(request, _("この時間は満員になりました。別の時間を選んでください。"))
        else:
            state["procedure"] = procedure.pk
            state["slot"] = slot.pk
            state["slot_at"] = [slot.day.isoformat(), slot.start.isoformat(), slot.end.isoformat()]
            _save(request, state)
            if state.get("change"):
                return redirect("public:change", token=state["change"])
            return redirect("public:book_acknowledgements")
    return _render(
        request,
        "reservations/public/times.html",
        {"procedure": procedure, "day": day, "slot_list": _slot_list(procedure, day), "state": state, "step": 2},
    )


def _slot_list(procedure: Procedure, day: date) -> str:
    """The day's times as the list of buttons, written here rather than by the template engine: a day has dozens
    of times, and this page is on every booking's path."""
    dash = _("〜")
    items = []
    for slot in selectors.day_slots(procedure=procedure, day=day):
        times = escape(f"{slot.start.hour}:{slot.start:%M}{dash}{slot.end.hour}:{slot.end:%M}")
        left = slot.left
        if left > 0:
            left_text = escape(ngettext("あと%(left)s人", "あと%(left)s人", left) % {"left": left})
            items.append(
                f'<li><button type="submit" name="slot" value="{slot.pk}" class="button">{times}<br>'
                f"<small>{left_text}</small></button></li>"
            )
        else:
            items.append(f'<li><span class="full-slot">{times}<br><small>{escape(_("満員"))}</small></span></li>')
    if not items:
        items.append(f"<li>{escape(_('この日に予約できる時間はありません。'))}</li>")
    return mark_safe('<ul class="slot-list">\n' + "".join(f"  {item}\n" for item in items) + "</ul>")


def _steps(step: int) -> str:
    """The booking's five steps above each of its pages, the current one marked for screen readers. Written here
    like the list of times: the template engine spent more on its five translations than on the rest of the page."""
    names = (_("日にち"), _("時間"), _("確認事項"), _("連絡先"), _("確認"))
    current = ' aria-current="step"'
    items = "".join(
        f"  <li{current if number == step else ''}>{number}. {escape(name)}</li>\n"
        for number, name in enumerate(names, start=1)
    )
    return mark_safe(f'<ol class="steps" aria-label="{escape(_("予約の手順"))}">\n{items}</ol>\n')


def _int(value: Any) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


def _require(request: HttpRequest, *keys: str) -> tuple[dict[str, Any], Procedure, Slot] | HttpResponse:
    """The booking in progress, or a redirect to the step that is missing."""
    state = _state(request)
    procedure = _procedure_from_state(state)
    if procedure is None:
        messages.info(request, _("はじめから予約してください。"))
        return redirect("public:book_start")
    slot = _slot_from_state(state, procedure)
    if slot is None:
        messages.info(request, _("日にちと時間を選んでください。"))
        return redirect("public:book_calendar", slug=procedure.slug)
    if "acks" in keys and "acks" not in state:
        return redirect("public:book_acknowledgements")
    if "contact" in keys and "contact_done" not in state:
        return redirect("public:book_details")
    return state, procedure, slot


def _photo_context(procedure: Procedure, slot: Slot, lang: str) -> dict[str, Any]:
    """The photo rule for the appointment's day, and the whole what-to-bring list (reservations.guidance)."""
    context: dict[str, Any] = {"bring": guidance.bring_items(procedure, visit_day=slot.day, language=lang)}
    kind = procedure.certificate_kind
    if kind is None or not kind.photo_required:
        return context
    return {
        **context,
        "earliest_photo": certificate_rules.earliest_photo_date(slot.day, kind.photo_max_age_months),
        "photo_size": kind.photo_size_in(lang),
        "photo_months": kind.photo_max_age_months,
    }


@require_http_methods(["GET", "POST"])
def book_acknowledgements(request: HttpRequest) -> HttpResponse:
    result = _require(request)
    if isinstance(result, HttpResponse):
        return result
    state, procedure, slot = result
    acknowledgements = selectors.acknowledgements_to_agree(procedure)
    initial = {f"ack_{pk}": True for pk in state.get("acks", [])}
    form = AcknowledgementForm(
        request.POST or None, acknowledgements=acknowledgements, initial=initial, language=_lang(request)
    )
    if request.method == "POST":
        if not _post_allowed(request):
            return _too_many(request)
        if form.is_valid():
            state["acks"] = form.agreed_ids()
            _save(request, state)
            return redirect("public:book_details")
    context = {
        "form": form,
        "procedure": procedure,
        "slot": slot,
        "step": 3,
        **_photo_context(procedure, slot, _lang(request)),
    }
    return _render(request, "reservations/public/acknowledgements.html", context)


@require_http_methods(["GET", "POST"])
def book_details(request: HttpRequest) -> HttpResponse:
    result = _require(request, "acks")
    if isinstance(result, HttpResponse):
        return result
    state, procedure, slot = result
    form = ContactForm(request.POST or None, initial=state.get("contact") or {}, latin_reading=_lang(request) == "en")
    if request.method == "POST":
        if not _post_allowed(request):
            return _too_many(request)
        form.is_valid()
        # The service's checks (kana, phone digits) run even when the form found other errors, so the
        # resident sees every problem at once.
        raw: dict[str, Any] = {name: form.cleaned_data.get(name, form.data.get(name, "")) for name in form.fields}
        if "needs" not in form.cleaned_data:
            raw["needs"] = form.data.getlist("needs") if hasattr(form.data, "getlist") else []
        contact = None
        try:
            contact = booking.Contact(**raw).cleaned(latin_reading=_lang(request) == "en")
        except ValidationError as exc:
            for field, errors in exc.error_dict.items():
                if field not in form.errors:
                    for error in errors:
                        form.add_error(field, error)
        if contact is not None and not form.errors:
            state["contact"] = contact.__dict__
            state["contact_done"] = True
            _save(request, state)
            return redirect("public:book_confirm")
    return _render(
        request,
        "reservations/public/details.html",
        {"form": form, "procedure": procedure, "slot": slot, "step": 4, "from_letter": bool(state.get("invitation"))},
    )


@require_http_methods(["GET", "POST"])
def book_confirm(request: HttpRequest) -> HttpResponse:
    if request.method == "POST" and not _state(request) and flow.get(request, "last_booking"):
        # A replayed or double-clicked confirmation: the booking exists, show it instead of booking again.
        return redirect("public:manage", token=flow.get(request, "last_booking"))
    result = _require(request, "acks", "contact")
    if isinstance(result, HttpResponse):
        return result
    state, procedure, slot = result
    errors: list[str] = []
    if request.method == "POST":
        if not _post_allowed(request):
            return _too_many(request)
        try:
            reservation = booking.reservation_book(
                procedure=procedure,
                slot_id=slot.pk,
                slot=slot,
                contact=booking.Contact(**state["contact"]),
                acknowledged=state.get("acks", []),
                invitation_code=state.get("invitation"),
                language=_lang(request),
                client_key=review.client_key(client_address(request)),
            )
        except booking.SlotFull as exc:
            messages.error(request, exc.messages[0])
            state.pop("slot", None)
            state.pop("slot_at", None)
            _save(request, state)
            return redirect("public:book_times", slug=procedure.slug, day=slot.day)
        except ValidationError as exc:
            if getattr(exc, "code", None) == "invitation":
                state.pop("invitation", None)
                _save(request, state)
            errors = exc.messages
        else:
            flow.pop(request, SESSION_KEY)
            flow.put(request, "last_booking", reservation.token)
            flow.put(request, "just_booked", reservation.token)
            return redirect("public:manage", token=reservation.token)
    ticked = set(state.get("acks", []))
    context = {
        "procedure": procedure,
        "slot": slot,
        "contact": state["contact"],
        "errors": errors,
        "step": 5,
        # What the booking will record: the statements to agree that the resident ticked.
        "acknowledgements": [
            a.render(_lang(request)) for a in selectors.acknowledgements_to_agree(procedure) if a.pk in ticked
        ],
        "from_letter": bool(state.get("invitation")),
        "needs_text": Reservation.describe_needs(
            state["contact"].get("needs", []), state["contact"].get("needs_other", "")
        ),
        **_photo_context(procedure, slot, _lang(request)),
    }
    return _render(request, "reservations/public/confirm.html", context)


@require_http_methods(["GET", "POST"])
def lookup(request: HttpRequest) -> HttpResponse:
    form = LookupForm(request.POST or None)
    error = ""
    status = 200
    if request.method == "POST" and form.is_valid():
        number = normalize_code(form.cleaned_data["number"])
        allowed = ratelimit.client_hit("lookup-ip", request, settings.BOOKING_LOOKUP_RATE)
        allowed = ratelimit.hit("lookup-number", number, settings.BOOKING_LOOKUP_RATE) and allowed
        if not allowed:
            return _too_many(request)
        reservation = booking.reservation_lookup(number=number, phone=form.cleaned_data["phone"])
        if reservation is not None:
            return redirect("public:manage", token=reservation.token)
        # One answer for a wrong number and a wrong phone: nothing tells which reservations exist.
        error = _("予約番号と電話番号の組み合わせが見つかりませんでした。入力内容を確かめてください。")
        status = 404
    return _render(request, "reservations/public/lookup.html", {"form": form, "error": error}, status=status)


def _public_status(status: str) -> str:
    """The state of a booking in the resident's words (the staff's short labels read oddly on its own)."""
    words = {
        Reservation.Status.BOOKED: _("予約済み"),
        Reservation.Status.ARRIVED: _("来庁済み"),
        Reservation.Status.DONE: _("手続き済み"),
        Reservation.Status.NO_SHOW: _("来庁なし"),
        Reservation.Status.CANCELLED: _("取消済み"),
    }
    return words.get(Reservation.Status(status), "")


def _reservation_by_token(token: str) -> Reservation:
    reservation = selectors.reservation_by_token(token[:64])
    if reservation is None:
        raise Http404
    # The procedure with its office and certificate kind, as this process keeps it (a withdrawn one is read).
    reservation.procedure = _active_procedure(pk=reservation.procedure_id) or (
        Procedure.objects.select_related("office", "certificate_kind").get(pk=reservation.procedure_id)
    )
    return reservation


def manage(request: HttpRequest, token: str) -> HttpResponse:
    reservation = _reservation_by_token(token)
    just_booked = flow.pop(request, "just_booked") == token
    now = timezone.now()
    deadline = rules.booking_deadline(procedure=reservation.procedure, day=reservation.slot.day)
    context = {
        "r": reservation,
        "just_booked": just_booked,
        "can_change": rules.can_change_online(reservation, now=now, deadline=deadline),
        "deadline": deadline,
        "place": reservation.procedure.office,
        "status_text": _public_status(reservation.status),
        "can_rebook_with_code": _open_invitation(reservation) is not None,
        **_photo_context(reservation.procedure, reservation.slot, _lang(request)),
        # The address the resident is actually using, which may differ from SITE_URL behind a proxy.
        "manage_url": request.build_absolute_uri(f"/reservation/{reservation.token}/"),
    }
    return _render(request, "reservations/public/manage.html", context)


@require_http_methods(["GET", "POST"])
def cancel(request: HttpRequest, token: str) -> HttpResponse:
    reservation = _reservation_by_token(token)
    if request.method == "POST":
        if not _post_allowed(request):
            return _too_many(request)
        try:
            reservation = booking.reservation_cancel(reservation=reservation)
        except ValidationError as exc:
            messages.error(request, exc.messages[0])
        else:
            messages.success(request, _("予約を取り消しました。"))
            invitation = _open_invitation(reservation)
            if invitation is not None:
                # Booking again from this browser keeps the letter's code, and so still counts for the letter.
                _start_with_invitation(request, invitation)
        return redirect("public:manage", token=token)
    return _render(request, "reservations/public/cancel.html", {"r": reservation})


@require_POST
def rebook(request: HttpRequest, token: str) -> HttpResponse:
    """Book again after cancelling, with the letter's code the cancelled booking was made with."""
    reservation = _reservation_by_token(token)
    if not _post_allowed(request):
        return _too_many(request)
    invitation = _open_invitation(reservation)
    if invitation is None:
        return redirect("public:book_start")
    _start_with_invitation(request, invitation)
    return redirect("public:book_calendar", slug=invitation.procedure.slug)


@require_http_methods(["GET", "POST"])
def change(request: HttpRequest, token: str) -> HttpResponse:
    reservation = _reservation_by_token(token)
    if not rules.can_change_online(reservation, now=timezone.now()):
        messages.error(request, _("締切を過ぎたため、インターネットでは変更できません。お電話でご連絡ください。"))
        return redirect("public:manage", token=token)
    state = _state(request)
    if request.method == "POST":
        if not _post_allowed(request):
            return _too_many(request)
        slot_id = _int(request.POST.get("slot"))
        if state.get("change") != token or slot_id is None or slot_id != state.get("slot"):
            messages.error(request, _("新しい日時を選び直してください。"))
            return redirect("public:change", token=token)
        try:
            booking.reservation_change(reservation=reservation, new_slot_id=slot_id)
        except booking.SlotFull as exc:
            messages.error(request, exc.messages[0])
            return redirect("public:book_calendar", slug=reservation.procedure.slug)
        except ValidationError as exc:
            messages.error(request, exc.messages[0])
            return redirect("public:manage", token=token)
        flow.pop(request, SESSION_KEY)
        messages.success(request, _("予約の日時を変更しました。"))
        return redirect("public:manage", token=token)
    if state.get("change") == token and state.get("slot"):
        new_slot = Slot.objects.filter(pk=state["slot"], procedure=reservation.procedure).first()
        if new_slot is not None:
            return _render(
                request,
                "reservations/public/change_confirm.html",
                {
                    "r": reservation,
                    "new_slot": new_slot,
                    **_photo_context(reservation.procedure, new_slot, _lang(request)),
                },
            )
    _save(request, {"procedure": reservation.procedure_id, "change": token})
    return redirect("public:book_calendar", slug=reservation.procedure.slug)


def ics(request: HttpRequest, token: str) -> HttpResponse:
    from icalendar import Calendar, Event

    reservation = _reservation_by_token(token)
    office = reservation.procedure.office
    cal = Calendar()
    cal.add("prodid", "-//Madoguchi//JA")
    cal.add("version", "2.0")
    event = Event()
    event.add("uid", f"{reservation.number}@madoguchi")
    event.add("dtstamp", datetime.now(tz=timezone.get_current_timezone()))
    event.add("dtstart", reservation.slot.starts_at)
    event.add("dtend", reservation.slot.ends_at)
    # Calendars get shared and synced: the entry names the certificate by its short name (never welfare), the
    # office without its department, and the reservation number; not the manage link, which can cancel.
    event.add("summary", f"{_('窓口予約')} {reservation.procedure.public_name}")
    event.add("location", f"{office.name} {office.address}")
    event.add("description", f"{_('予約番号')} {reservation.display_number}")
    cal.add_component(event)
    response = HttpResponse(cal.to_ical(), content_type="text/calendar; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="reservation-{reservation.display_number}.ics"'
    return response
