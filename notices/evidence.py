"""The outcome report as the supervisor reads it: named tables, each with its chart, for the page, CSV and PDF.

One list of tables feeds the page (chart beside table), the CSV download of each table and the monthly PDF, so
the three always show the same figures.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any

from django.utils import timezone
from django.utils.safestring import SafeString

from notices import charts, report
from notices.charts import Series
from reservations.models import Office, WalkIn


@dataclass
class Table:
    ident: str
    title: str
    headers: list[str]
    rows: list[list[Any]]
    chart: SafeString | None = None
    note: str = ""
    # Rows as text for the page and the PDF: rates as percentages, minutes with one decimal, None as —.
    display: list[list[str]] = field(default_factory=list)


def _cell(value: object) -> str:
    if value is None:
        return "—"
    if isinstance(value, float):
        return f"{value:.1f}"
    return str(value)


def _pct(value: float | None) -> str | None:
    return None if value is None else f"{value * 100:.1f}%"


def _finish(table: Table) -> Table:
    table.display = [[_cell(v) for v in row] for row in table.rows]
    return table


def letters_table(f: report.Funnel, month_label: str, *, whose: str = "") -> Table:
    """The letters' funnel; `whose` names the letters (default: those for the month's expiries)."""
    whose = whose or f"{month_label}が有効期限の方"
    rows: list[list[Any]] = [
        ["発送したお知らせ", f.mailed, None],
        ["予約", f.booked, _pct(f.rate_of("booked"))],
        ["来庁", f.visited, _pct(f.rate_of("visited"))],
        ["交付", f.issued, _pct(f.rate_of("issued"))],
        ["来庁なし（予約したが来なかった）", f.no_shows, _pct(f.rate_of("no_shows"))],
        ["返送", f.returned, _pct(f.rate_of("returned"))],
    ]
    if f.withdrawn:
        rows.append(["資格の確認で取り下げ（発送せず）", f.withdrawn, None])
    if f.already_booked:
        rows.append(["予約済みのため送付せず", f.already_booked, None])
    chart = charts.bar_chart(
        ident="chart-letters",
        title=f"{whose}へのお知らせの結果",
        rows=[(r[0], r[1]) for r in rows],
        scale_to=f.mailed,
    )
    note = (
        "有効期限がこの月の方に送ったお知らせ（発送済みにしたもの）について数えます。割合は発送した通数に対するものです。"
        "予約コードを使わずに予約した方も、市民または証明書で照合して数えます。"
    )
    return _finish(
        Table(
            "letters",
            f"お知らせの結果（{whose}）",
            ["項目", "件数", "発送に対する割合"],
            rows,
            chart,
            note,
        )
    )


def batches_table(batches: list[report.Funnel]) -> Table:
    rows: list[list[Any]] = [
        [
            b.label,
            b.letters,
            b.mailed,
            b.booked,
            _pct(b.rate_of("booked")),
            b.visited,
            _pct(b.rate_of("visited")),
            b.issued,
            _pct(b.rate_of("issued")),
            b.no_shows,
            _pct(b.rate_of("no_shows")),
            b.returned,
            _pct(b.rate_of("returned")),
        ]
        for b in batches
    ]
    headers = [
        "回",
        "お知らせ",
        "発送",
        "予約",
        "予約率",
        "来庁",
        "来庁率",
        "交付",
        "交付率",
        "来庁なし",
        "来庁なし率",
        "返送",
        "返送率",
    ]
    return _finish(Table("batches", "作成した回ごとの結果", headers, rows))


def channel_table(f: report.Funnel, month_label: str, *, whose: str = "") -> Table:
    whose = whose or f"{month_label}が有効期限の方"
    rows: list[list[Any]] = [
        ["インターネット", f.by_channel["internet"], _pct(report.rate(f.by_channel["internet"], f.booked))],
        ["電話（予約コードを伝えた）", f.phone_with_code, _pct(report.rate(f.phone_with_code, f.booked))],
        ["電話（予約コードなし）", f.phone_without_code, _pct(report.rate(f.phone_without_code, f.booked))],
        ["窓口", f.by_channel["counter"], _pct(report.rate(f.by_channel["counter"], f.booked))],
    ]
    chart = charts.bar_chart(
        ident="chart-channel",
        title=f"{whose}の予約の方法",
        rows=[(r[0], r[1]) for r in rows],
        scale_to=f.booked,
        colour=charts.PALETTE[1],
    )
    note = (
        f"予約コードを使った予約 {f.booked_with_code}件、コードなしで市民・証明書から照合した予約 "
        f"{f.booked_without_code}件。割合は予約した方に対するものです。"
    )
    return _finish(
        Table(
            "channel",
            f"予約の方法（{whose}）",
            ["予約の方法", "件数", "予約に対する割合"],
            rows,
            chart,
            note,
        )
    )


def walk_ins_table(c: report.CounterVisits, month_label: str) -> Table:
    labels = dict(WalkIn.HadLetter.choices)
    rows: list[list[Any]] = []
    for key in WalkIn.HadLetter.values:
        served = c.walk_ins_by_letter.get(key, {}).get("served", 0)
        away = c.walk_ins_by_letter.get(key, {}).get("turned_away", 0)
        rows.append(
            [f"お知らせを{labels[key]}" if key != "unknown" else "お知らせ：分からない", served, away, served + away]
        )
    rows.append(["計", c.walk_ins_served, c.walk_ins_turned_away, c.walk_ins])
    chart = charts.grouped_bar_chart(
        ident="chart-walk-ins",
        title=f"{month_label}の予約なしの来庁",
        groups=[(r[0], [r[1], r[2]]) for r in rows],
        series=[Series("対応した", charts.PALETTE[1]), Series("対応できなかった", charts.PALETTE[2])],
        fmt=charts.count,
        label_width=200,
    )
    return _finish(
        Table(
            "walk_ins",
            f"予約なしの来庁（{month_label}に来庁）",
            ["お知らせ", "対応した", "対応できなかった", "計"],
            rows,
            chart,
            "来庁した日の月で数えます。お知らせを受け取ったかは、来庁の記録のときに窓口で確かめた内容です。",
        )
    )


def before_after_table(rows: list[report.BeforeAfterRow], first_letters: date | None) -> Table:
    marker = report.month_label(first_letters) if first_letters else None
    chart = charts.share_chart(
        ident="chart-before-after",
        title="来庁のうち予約していた方の割合（月ごと）",
        rows=[(r.label, r.booked_visits, r.walk_ins) for r in rows],
        series=(Series("予約", charts.PALETTE[0]), Series("予約なし", charts.PALETTE[2])),
        marker=marker,
        marker_text="お知らせの発送を始めました",
    )
    data = [
        [
            r.label,
            r.booked_visits,
            r.walk_ins,
            _pct(r.booked_share),
            r.letters_mailed,
            "開始" if r.label == marker else "",
        ]
        for r in rows
    ]
    note = "お知らせを始める前の月も含めて、この手続きの来庁（予約して来庁・予約なしの来庁）を来庁日の月で数えます。"
    return _finish(
        Table(
            "before_after",
            "予約と予約なしの来庁の推移",
            ["月", "予約して来庁", "予約なしの来庁", "予約の割合", "発送したお知らせ", "お知らせ"],
            data,
            chart,
            note,
        )
    )


def times_table(c: report.CounterVisits, month_label: str) -> Table:
    b, w = c.booked_times, c.walk_in_times
    rows: list[list[Any]] = [
        ["予約", len(b.wait), b.median_wait, b.p90_wait, b.median_service, b.p90_service],
        ["予約なし", len(w.wait), w.median_wait, w.p90_wait, w.median_service, w.p90_service],
    ]
    chart = charts.grouped_bar_chart(
        ident="chart-times",
        title=f"{month_label}の窓口での待ち時間と対応時間（分）",
        groups=[
            ("予約：待ち", [b.median_wait, b.p90_wait]),
            ("予約なし：待ち", [w.median_wait, w.p90_wait]),
            ("予約：対応", [b.median_service, b.p90_service]),
            ("予約なし：対応", [w.median_service, w.p90_service]),
        ],
        series=[Series("中央値", charts.PALETTE[0]), Series("90%の方がこの時間以内", charts.PALETTE[3])],
    )
    note = (
        "待ち時間は来庁（予約の方は予約時刻より早く来た場合は予約時刻）から呼出まで、対応時間は呼出から完了まで。"
        "予約一覧の「来庁」「呼出」「完了」の記録から計算します。"
    )
    return _finish(
        Table(
            "times",
            f"待ち時間と対応時間（{month_label}、分）",
            ["区分", "計測できた件数", "待ち 中央値", "待ち 90%", "対応 中央値", "対応 90%"],
            rows,
            chart,
            note,
        )
    )


def photos_table(p: report.Photos, month_label: str) -> Table:
    rows: list[list[Any]] = [
        ["写真が古く、その日は交付できなかった", p.refused],
        ["写真が古く、撮り直して交付した", p.delayed],
        ["写真が古かった来庁（計）", p.refusals],
        ["前回と同じ写真の疑い（再利用の警告）", p.reuse_warnings],
    ]
    chart = charts.bar_chart(
        ident="chart-photos",
        title=f"{month_label}の写真の規則",
        rows=[(r[0], r[1]) for r in rows],
        colour=charts.PALETTE[2],
        label_width=290,
    )
    return _finish(
        Table(
            "photos",
            f"写真の規則（{month_label}）",
            ["項目", "件数"],
            rows,
            chart,
            "再利用の警告は、写真の撮影日が前回の証明書の交付日以前か、前回と同じ撮影日の交付です。",
        )
    )


def photo_age_table(p: report.Photos, month_label: str) -> Table:
    rows = [[label, n] for label, n in p.age_buckets]
    chart = charts.bar_chart(
        ident="chart-photo-age",
        title=f"{month_label}に交付した証明書の写真の古さ",
        rows=[(label, n) for label, n in p.age_buckets],
        colour=charts.PALETTE[3],
        label_width=120,
    )
    median = f"中央値 {p.median_age_days:.0f}日。" if p.median_age_days is not None else ""
    return _finish(
        Table(
            "photo_age",
            f"交付時の写真の古さ（{month_label}、{p.issued_with_photo}件）",
            ["撮影からの期間", "件数"],
            rows,
            chart,
            median + "交付日から見た写真の撮影日までの期間です。",
        )
    )


def complaints_table(complaints: dict[str, int], month_label: str) -> Table:
    rows = [[name, n] for name, n in complaints.items()]
    chart = charts.bar_chart(
        ident="chart-complaints",
        title=f"{month_label}の苦情・意見（区分ごと）",
        rows=[(name, n) for name, n in complaints.items()],
        colour=charts.PALETTE[4],
        label_width=260,
    )
    return _finish(Table("complaints", f"苦情・意見（{month_label}に受けたもの）", ["区分", "件数"], rows, chart))


def survey_tables(s: report.Survey, month_label: str) -> list[Table]:
    mean = f"平均 {s.mean_satisfaction:.2f}" if s.mean_satisfaction is not None else "平均 —"
    satisfaction = Table(
        "survey_satisfaction",
        f"アンケート：満足度（{month_label}、回答 {s.responses}件、{mean}）",
        ["満足度（5がとても満足）", "回答数"],
        [[label, n] for label, n in s.satisfaction],
        charts.bar_chart(
            ident="chart-survey",
            title=f"{month_label}のアンケートの満足度",
            rows=s.satisfaction,
            label_width=120,
        ),
    )
    tables = [_finish(satisfaction)]
    for ident, title, rows in (
        ("survey_how_booked", "アンケート：予約の方法", s.how_booked),
        ("survey_letter", "アンケート：お知らせは役に立ったか", s.letter_helped),
        ("survey_wait", "アンケート：窓口での待ち時間", s.wait),
        ("survey_source", "アンケート：回答の経路", s.by_source),
    ):
        tables.append(_finish(Table(ident, f"{title}（{month_label}）", ["回答", "件数"], [[a, n] for a, n in rows])))
    comments = Table(
        "survey_comments",
        f"アンケート：自由記述（{month_label}）",
        ["回答日時", "満足度", "ご意見"],
        [[f"{timezone.localtime(c.submitted_at):%Y-%m-%d %H:%M}", c.satisfaction, c.comment] for c in s.comments],
    )
    tables.append(_finish(comments))
    return tables


def offices_table(rows: list[report.MonthReport]) -> Table:
    """Each office's main figures beside the city's total (the last row)."""
    data: list[list[Any]] = []
    for r in rows:
        f, c = r.letters, r.counter
        data.append(
            [
                r.office_label,
                f.mailed,
                f.booked,
                _pct(f.rate_of("booked")),
                f.visited,
                f.issued,
                c.booked_visits,
                c.walk_ins,
                _pct(c.booked_share),
                c.booked_times.median_wait,
                c.walk_in_times.median_wait,
            ]
        )
    headers = [
        "窓口",
        "発送したお知らせ",
        "予約",
        "予約率",
        "来庁",
        "交付",
        "予約して来庁",
        "予約なしの来庁",
        "予約の割合",
        "待ち 中央値（予約）",
        "待ち 中央値（予約なし）",
    ]
    chart = charts.share_chart(
        ident="chart-offices",
        title="窓口ごとの来庁のうち予約していた方の割合",
        rows=[(r.office_label, r.counter.booked_visits, r.counter.walk_ins) for r in rows],
        series=(Series("予約", charts.PALETTE[0]), Series("予約なし", charts.PALETTE[2])),
    )
    note = (
        "お知らせは案内した窓口ごと、来庁と待ち時間はその窓口での来庁、最後の行が市全体です。"
        "苦情・意見とアンケートは窓口を分けずに数えます。"
    )
    return _finish(Table("offices", "窓口ごとの結果と市全体", headers, data, chart, note))


def month_tables(month: date, office: Office | None = None) -> tuple[report.MonthReport, list[Table]]:
    """The month's tables for the city (with a table per office when there are several) or for one office."""
    r = report.month_report(month, office)
    city_wide = " 市全体で数えます（窓口を分けていません）。" if office is not None else ""
    complaints = complaints_table(r.complaints, r.label)
    complaints.note = (complaints.note + city_wide).strip()
    survey = survey_tables(r.survey, r.label)
    survey[0].note = (survey[0].note + city_wide).strip()
    tables = [
        letters_table(r.letters, r.label),
        batches_table(r.batches),
        channel_table(r.letters, r.label),
        walk_ins_table(r.counter, r.label),
        before_after_table(report.before_after(r.month, office=office), report.first_letters_month(office)),
        times_table(r.counter, r.label),
        photos_table(r.photos, r.label),
        photo_age_table(r.photos, r.label),
        complaints,
        *survey,
    ]
    offices = list(Office.objects.order_by("id"))
    if office is None and len(offices) > 1:
        tables.insert(1, offices_table([report.month_report(month, o) for o in offices] + [r]))
    return r, tables
