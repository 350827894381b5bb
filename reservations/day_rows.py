"""The rows of the clerk's day list, written out in Python.

A busy day has two hundred appointments, each with a handful of links and status buttons. Through the template
engine that was about 90 ms of tag and variable resolution per page (bench/booking.py, phase `day list`); the same
markup made here costs a few milliseconds. The page around the rows stays a template
(templates/reservations/staff/day.html); a column added here is added to its header there.

The appointments come as plain values (reservations.selectors.day_list_rows), not model instances. Every value
that comes from a person or the database is escaped (html.escape, which is what Django's escape filter does for a
string); the URLs are reversed once per page and completed with each appointment's id; the CSRF token is read once
per page.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import date, datetime
from html import escape as _escape
from typing import Any

from django.template.defaultfilters import linebreaksbr
from django.urls import reverse
from django.utils import timezone
from django.utils.html import conditional_escape as esc
from django.utils.safestring import SafeString, mark_safe

from reservations.models import Reservation, Slot, display_code
from staff.templatetags.madoguchi import jdate

_PK = 987654321  # a stand-in id, replaced by each appointment's own


def _url_maker(name: str):
    template = reverse(name, args=[_PK])
    head, _, tail = template.partition(str(_PK))
    return lambda pk: f"{head}{pk}{tail}"


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


def rows_html(
    rows: Sequence[tuple[Slot, list[dict[str, Any]]]],
    *,
    csrf_token: str,
    show_office: bool = False,
    photo_rule: Callable[[Slot], date | None],
) -> SafeString:
    """The table rows of reservations.selectors.day_list_rows: one per appointment, with its slot's time and
    procedure, and `photo_rule(slot)` (the earliest photo date the slot's procedure accepts, or None)."""
    status_url = _url_maker("reservations:status")
    called_url = _url_maker("reservations:called")
    issue_url = _url_maker("reservations:issue")
    serve_url = _url_maker("reservations:serve")
    resident_url = _url_maker("certificates:resident_detail")
    status_labels = dict(Reservation.Status.choices)
    channel_labels = dict(Reservation.Channel.choices)
    csrf = f'<input type="hidden" name="csrfmiddlewaretoken" value="{esc(csrf_token)}">'
    booked, arrived, no_show = Reservation.Status.BOOKED, Reservation.Status.ARRIVED, Reservation.Status.NO_SHOW

    def status_form(pk: int, expected: str, status: str, label: str) -> str:
        return (
            f'<form method="post" action="{status_url(pk)}" class="inline">{csrf}'
            f'<input type="hidden" name="expected" value="{expected}">'
            f'<button class="button" name="status" value="{status}">{label}</button></form>'
        )

    out: list[str] = []
    for slot, reservations in rows:
        slot_cell = f"<td>{slot.start:%H:%M}<br><small>{slot.booked}/{slot.places}</small></td>"
        procedure = _escape(slot.procedure.name)
        if show_office and slot.procedure.office is not None:
            procedure += f"<br><small>{_escape(slot.procedure.office.name)}</small>"
        photo = photo_rule(slot) if reservations else None
        photo_line = f"<br><small>写真 {jdate(photo)}以降</small>" if photo else ""
        for r in reservations:
            pk, status = r["id"], r["status"]
            name = (
                f"{_escape(r['family_name'])} {_escape(r['given_name'])}"
                f"<br><small>{_escape(r['family_name_kana'])} {_escape(r['given_name_kana'])}</small>"
            )
            if r["pass_user_name"]:
                name += f"<br><small>使用者：{_escape(r['pass_user_name'])}</small>"
            if r["needs"] or r["needs_other"]:
                # Asked for when booking, so the counter is ready: a wheelchair space, a writing pad, an interpreter.
                needs = Reservation.describe_needs(r["needs"], r["needs_other"])
                name += f'<br><span class="badge badge-needs">配慮：{_escape(needs)}</span>'
            if r["clerk_id"]:
                clerk = f"{_escape(r['clerk_last_name'])} {_escape(r['clerk_first_name'])}"
            else:
                clerk = "未定"
            if r["open_unstaffed"]:
                clerk += '<br><span class="badge badge-expired">担当者が不在</span>'
            clerk += f'<br><a class="no-print" href="{serve_url(pk)}">対応・窓口案内</a>'
            badge = f'<span class="badge">{_escape(status_labels.get(status, status))}</span>' + counter_times(
                arrived=r["arrived_at"], called=r["called_at"], done=r["done_at"]
            )
            channel = _escape(channel_labels.get(r["channel"], r["channel"]))
            if r["invitation_id"]:
                channel += "<br><small>お知らせ</small>"
            resident = ""
            if r["resident_id"]:
                resident = f'<a href="{resident_url(r["resident_id"])}">{_escape(r["case_number"])}</a>'
            if r["certificate_id"]:
                resident += f"<br><small>期限 {jdate(r['certificate_expires_on'])}</small>"
            resident += photo_line
            if r["issued_certificate_id"]:
                resident += f"<br><small>交付 {_escape(r['issued_number'])}</small>"
            actions = ""
            if status == booked:
                actions = (
                    status_form(pk, "booked", "arrived", "来庁")
                    + status_form(pk, "booked", "no_show", "来庁なし")
                    + status_form(pk, "booked", "cancelled", "取消")
                )
            elif status == arrived:
                if not r["called_at"]:
                    actions += (
                        f'<form method="post" action="{called_url(pk)}" class="inline">{csrf}'
                        '<button class="button primary">呼出</button></form>'
                    )
                if not r["issued_certificate_id"]:
                    actions += f'<a class="button primary" href="{issue_url(pk)}">証明書を交付</a>'
                actions += status_form(pk, "arrived", "done", "完了")
            elif status == no_show:
                actions = status_form(pk, "no_show", "arrived", "来庁に直す")
            notes = linebreaksbr(r["notes"], autoescape=True) if r["notes"] else ""
            out.append(
                f'<tr class="status-{_escape(status)}" id="r-{pk}">{slot_cell}'
                f'<td class="number">{_escape(display_code(r["number"]))}</td><td>{name}</td>'
                f"<td>{procedure}</td><td>{clerk}</td><td>{badge}</td><td>{channel}</td><td>{resident}</td>"
                f'<td>{notes}</td><td class="no-print">{actions}</td></tr>'
            )
    if not rows:
        out.append('<tr><td colspan="10">この日の予約枠はありません。</td></tr>')
    return mark_safe("\n".join(out))  # every value above is escaped
