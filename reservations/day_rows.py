"""The rows of the clerk's day list, written out in Python.

A busy day has two hundred appointments, each with a handful of links and status buttons. Through the template
engine that was about 90 ms of tag and variable resolution per page (bench/booking.py, phase `day list`); the same
markup made here costs a few milliseconds. The page around the rows stays a template
(templates/reservations/staff/day.html); a column added here is added to its header there.

The appointments come as plain values (reservations.selectors.day_list_rows), not model instances. Every value
that comes from a person or the database is escaped (html.escape, which is what Django's escape filter does for a
string). What is the same on every row is made once per page: the CSRF field, the labels, and the links and buttons
of each state with the appointment's id left open (`_WithId`), so a row costs one join for them.
"""

from __future__ import annotations

import html
import json
import re
from collections.abc import Callable, Sequence
from datetime import date, datetime
from typing import Any

from django.http import HttpResponse
from django.template.defaultfilters import linebreaksbr
from django.urls import reverse
from django.utils import timezone
from django.utils.html import conditional_escape as esc
from django.utils.safestring import SafeString, mark_safe

from reservations.models import Reservation, display_code
from reservations.selectors import DaySlot
from staff.templatetags.madoguchi import jdate

_PK = 987654321  # a stand-in id for reverse(), replaced by the mark below
_MARK = "\x00"  # where an appointment's id goes: a character no markup, label or token holds

_SPECIAL = re.compile("[&<>\"']")


def _escape(value: str) -> str:
    """html.escape, without its five replacements for the many values (names, kana) that need none."""
    return html.escape(value) if _SPECIAL.search(value) else value


def _url(name: str) -> str:
    return reverse(name, args=[_PK]).replace(str(_PK), _MARK)


class _WithId:
    """Markup with an appointment's id in it (links, forms), made once per page and completed for each row."""

    def __init__(self, markup: str) -> None:
        self.parts = markup.split(_MARK)

    def __call__(self, pk: int) -> str:
        return str(pk).join(self.parts)


def _hm(moment: datetime | None) -> str:
    return timezone.localtime(moment).strftime("%H:%M") if moment else ""


def counter_times(
    *, arrived: datetime | None = None, called: datetime | None = None, done: datetime | None = None
) -> str:
    """As templates/reservations/staff/counter_times.html."""
    if not (arrived or called or done):
        return ""
    parts = ""
    if arrived:
        parts += f"来庁 {_hm(arrived)}"
    if called:
        parts += f"・呼出 {_hm(called)}"
    if done:
        parts += f"・完了 {_hm(done)}"
    return f'<br><small class="counter-times">{parts}</small>'


def _actions(csrf_token: str) -> Callable[[str, bool, bool], _WithId | None]:
    """The buttons of an appointment by its state (and, once it has arrived, whether it was called and whether a
    certificate was issued), each with the id left open."""
    status_url, called_url = _url("reservations:status"), _url("reservations:called")
    issue_url = _url("reservations:issue")
    csrf = f'<input type="hidden" name="csrfmiddlewaretoken" value="{esc(csrf_token)}">'

    def status_form(expected: str, *buttons: tuple[str, str]) -> str:
        """One form for the state's status buttons: the button pressed sends its own status."""
        return (
            f'<form method="post" action="{status_url}" class="inline">{csrf}'
            f'<input type="hidden" name="expected" value="{expected}">'
            + "".join(
                f'<button class="button" name="status" value="{status}">{label}</button>' for status, label in buttons
            )
            + "</form>"
        )

    def arrived(called: bool, issued: bool) -> _WithId:
        markup = ""
        if not called:
            markup += (
                f'<form method="post" action="{called_url}" class="inline">{csrf}'
                '<button class="button primary">呼出</button></form>'
            )
        if not issued:
            markup += f'<a class="button primary" href="{issue_url}">証明書を交付</a>'
        return _WithId(markup + status_form("arrived", ("done", "完了")))

    booked = _WithId(status_form("booked", ("arrived", "来庁"), ("no_show", "来庁なし"), ("cancelled", "取消")))
    after_arrival = {(called, issued): arrived(called, issued) for called in (False, True) for issued in (False, True)}
    no_show = _WithId(status_form("no_show", ("arrived", "来庁に直す")))

    def actions(status: str, called: bool, issued: bool) -> _WithId | None:
        if status == Reservation.Status.BOOKED:
            return booked
        if status == Reservation.Status.ARRIVED:
            return after_arrival[called, issued]
        if status == Reservation.Status.NO_SHOW:
            return no_show
        return None

    return actions


# Where the rows go in the page: rendered by the template (as rows_html) and replaced by with_rows. A comment, so
# nothing a person typed can make it (it would be escaped).
ROWS_HERE = mark_safe("<!-- day-list-rows -->")


def with_rows(response: HttpResponse, rows: str) -> HttpResponse:
    """The rendered page with the rows in place of ROWS_HERE. Passed through the template's nested blocks, the
    rows (300 KB on a busy day) were copied at every level: a tenth of the page's time."""
    head, tail = response.content.split(ROWS_HERE.encode(), 1)
    response.content = [head, rows.encode(response.charset), tail]
    return response


def rows_html(
    rows: Sequence[tuple[DaySlot, Sequence[Any]]],
    *,
    csrf_token: str,
    show_office: bool = False,
    photo_rule: Callable[[DaySlot], date | None],
) -> SafeString:
    """The table rows of reservations.selectors.day_list_rows: one per appointment, with its slot's time and
    procedure, and `photo_rule(slot)` (the earliest photo date the slot's procedure accepts, or None)."""
    serve = _WithId(f'<br><a class="no-print" href="{_url("reservations:serve")}">対応・窓口案内</a>')
    resident_url = _WithId(_url("certificates:resident_detail"))
    badges = {
        status: f'<span class="badge">{_escape(str(label))}</span>' for status, label in Reservation.Status.choices
    }
    channels = {channel: _escape(str(label)) for channel, label in Reservation.Channel.choices}
    actions = _actions(csrf_token)

    out: list[str] = []
    for slot, reservations in rows:
        slot_cell = f"<td>{slot.start:%H:%M}<br><small>{slot.booked}/{slot.places}</small></td>"
        procedure = _escape(slot.procedure.name)
        if show_office and slot.procedure.office is not None:
            procedure += f"<br><small>{_escape(slot.procedure.office.name)}</small>"
        photo = photo_rule(slot) if reservations else None
        photo_line = f"<br><small>写真 {jdate(photo)}以降</small>" if photo else ""
        for r in reservations:
            pk, status = r.id, r.status
            name = (
                f"{_escape(f'{r.family_name} {r.given_name}')}"
                f"<br><small>{_escape(f'{r.family_name_kana} {r.given_name_kana}')}</small>"
            )
            if r.pass_user_name:
                name += f"<br><small>使用者：{_escape(r.pass_user_name)}</small>"
            needs = json.loads(r.needs_json) if r.needs_json != "[]" else []
            if needs or r.needs_other:
                # Asked for when booking, so the counter is ready: a wheelchair space, a writing pad, an interpreter.
                described = Reservation.describe_needs(needs, r.needs_other)
                name += f'<br><span class="badge badge-needs">配慮：{_escape(described)}</span>'
            clerk = _escape(f"{r.clerk_last_name} {r.clerk_first_name}") if r.clerk_id else "未定"
            if r.open_unstaffed:
                clerk += '<br><span class="badge badge-expired">担当者が不在</span>'
            badge = badges.get(status) or f'<span class="badge">{_escape(status)}</span>'
            if r.arrived_at or r.called_at or r.done_at:
                badge += counter_times(arrived=r.arrived_at, called=r.called_at, done=r.done_at)
            channel = channels.get(r.channel) or _escape(r.channel)
            if r.invitation_id:
                channel += "<br><small>お知らせ</small>"
            resident = ""
            if r.resident_id:
                resident = f'<a href="{resident_url(r.resident_id)}">{_escape(r.case_number)}</a>'
            if r.certificate_id:
                resident += f"<br><small>期限 {jdate(r.certificate_expires_on)}</small>"
            resident += photo_line
            if r.issued_certificate_id:
                resident += f"<br><small>交付 {_escape(r.issued_number)}</small>"
            buttons = actions(status, bool(r.called_at), bool(r.issued_certificate_id))
            notes = linebreaksbr(r.notes, autoescape=True) if r.notes else ""
            out.append(
                f'<tr class="status-{_escape(status)}" id="r-{pk}">{slot_cell}'
                f'<td class="number">{_escape(display_code(r.number))}</td><td>{name}</td>'
                f"<td>{procedure}</td><td>{clerk}{serve(pk)}</td><td>{badge}</td><td>{channel}</td>"
                f'<td>{resident}</td><td>{notes}</td><td class="no-print">{buttons(pk) if buttons else ""}</td></tr>'
            )
    if not rows:
        out.append('<tr><td colspan="10">この日の予約枠はありません。</td></tr>')
    return mark_safe("\n".join(out))  # every value above is escaped
