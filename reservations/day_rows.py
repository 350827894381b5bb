"""The rows of the clerk's day list, written out in Python.

A busy day has two hundred appointments, each with a handful of links and status buttons. Through the template
engine that was about 90 ms of tag and variable resolution per page (bench/booking.py, phase `day list`); the same
markup made here costs a few milliseconds. The page around the rows stays a template
(templates/reservations/staff/day.html); a column added here is added to its header there.

Every value that comes from a person is escaped (conditional_escape); the URLs are reversed once per page and
completed with each appointment's id; the CSRF token is read once per page.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any

from django.template.defaultfilters import linebreaksbr
from django.urls import reverse
from django.utils import timezone
from django.utils.html import conditional_escape as esc
from django.utils.safestring import SafeString, mark_safe

from reservations.models import Reservation, Slot
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
    rows: Iterable[tuple[Slot, list[tuple[Reservation, Any]]]], *, csrf_token: str, show_office: bool = False
) -> SafeString:
    status_url = _url_maker("reservations:status")
    called_url = _url_maker("reservations:called")
    issue_url = _url_maker("reservations:issue")
    serve_url = _url_maker("reservations:serve")
    resident_url = _url_maker("certificates:resident_detail")
    csrf = f'<input type="hidden" name="csrfmiddlewaretoken" value="{esc(csrf_token)}">'

    def status_form(pk: int, expected: str, status: str, label: str) -> str:
        return (
            f'<form method="post" action="{status_url(pk)}" class="inline">{csrf}'
            f'<input type="hidden" name="expected" value="{expected}">'
            f'<button class="button" name="status" value="{status}">{label}</button></form>'
        )

    out: list[str] = []
    any_slot = False
    for slot, reservations in rows:
        any_slot = True
        slot_cell = f"<td>{slot.start:%H:%M}<br><small>{slot.booked}/{slot.places}</small></td>"
        procedure: str = esc(slot.procedure.name)
        if show_office and slot.procedure.office is not None:
            procedure += f"<br><small>{esc(slot.procedure.office.name)}</small>"
        for r, photo in reservations:
            name = f"{esc(r.full_name)}<br><small>{esc(r.full_kana)}</small>"
            if r.pass_user_name:
                name += f"<br><small>使用者：{esc(r.pass_user_name)}</small>"
            if r.needs or r.needs_other:
                # Asked for when booking, so the counter is ready: a wheelchair space, a writing pad, an interpreter.
                name += f'<br><span class="badge badge-needs">配慮：{esc(r.needs_text)}</span>'
            clerk = f"{esc(r.clerk.last_name)} {esc(r.clerk.first_name)}" if r.clerk else "未定"
            if getattr(r, "open_unstaffed", False):
                clerk += '<br><span class="badge badge-expired">担当者が不在</span>'
            clerk += f'<br><a class="no-print" href="{serve_url(r.pk)}">対応・窓口案内</a>'
            status = f'<span class="badge">{esc(r.get_status_display())}</span>' + counter_times(
                arrived=r.arrived_at, called=r.called_at, done=r.done_at
            )
            channel = esc(r.get_channel_display()) + ("<br><small>お知らせ</small>" if r.invitation_id else "")
            resident = ""
            if r.resident:
                resident = f'<a href="{resident_url(r.resident_id)}">{esc(r.resident.case_number)}</a>'
            if r.certificate:
                resident += f"<br><small>期限 {jdate(r.certificate.expires_on)}</small>"
            if photo:
                resident += f"<br><small>写真 {jdate(photo)}以降</small>"
            if r.issued_certificate:
                resident += f"<br><small>交付 {esc(r.issued_certificate.number)}</small>"
            actions = ""
            if r.status == Reservation.Status.BOOKED:
                actions = (
                    status_form(r.pk, "booked", "arrived", "来庁")
                    + status_form(r.pk, "booked", "no_show", "来庁なし")
                    + status_form(r.pk, "booked", "cancelled", "取消")
                )
            elif r.status == Reservation.Status.ARRIVED:
                if not r.called_at:
                    actions += (
                        f'<form method="post" action="{called_url(r.pk)}" class="inline">{csrf}'
                        '<button class="button primary">呼出</button></form>'
                    )
                if not r.issued_certificate_id:
                    actions += f'<a class="button primary" href="{issue_url(r.pk)}">証明書を交付</a>'
                actions += status_form(r.pk, "arrived", "done", "完了")
            elif r.status == Reservation.Status.NO_SHOW:
                actions = status_form(r.pk, "no_show", "arrived", "来庁に直す")
            out.append(
                f'<tr class="status-{esc(r.status)}" id="r-{r.pk}">{slot_cell}'
                f'<td class="number">{esc(r.display_number)}</td><td>{name}</td>'
                f"<td>{procedure}</td><td>{clerk}</td><td>{status}</td><td>{channel}</td><td>{resident}</td>"
                f'<td>{linebreaksbr(r.notes, autoescape=True)}</td><td class="no-print">{actions}</td></tr>'
            )
    if not any_slot:
        out.append('<tr><td colspan="10">この日の予約枠はありません。</td></tr>')
    return mark_safe("\n".join(out))  # every value above is escaped
