"""Import and export of the register: residents and their certificates, from and to the office's own spreadsheet.

A run goes: start (read the file, suggest a mapping) → check (a dry run: what each row would do, and why) →
apply (the same plan, written in one transaction: all or nothing). Each run is a RegisterImport row: who, when, the
file's SHA-256 and the counts. A certificate is identified by its resident's case number, its kind and its issue
date, so importing the same file twice changes nothing the second time. An expiry date in the file that differs
from the computed one (certificates/rules.py) is reported; the office decides whether to take the computed one.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
import uuid
from collections.abc import Collection, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any, Protocol

from django.apps import apps
from django.contrib.auth.models import User
from django.core.exceptions import ValidationError
from django.db import IntegrityError, connection, transaction
from django.db.models import Case, CharField, Value, When
from django.db.models.functions import Cast, Concat, ExtractYear, LPad
from django.utils import timezone

from certificates import jp, register_files, services
from certificates.models import AccessLog, Certificate, CertificateKind, RegisterColumn, RegisterImport, Resident

# The columns of the register, in the order an export writes them; these headings map themselves.
COLUMNS: dict[str, str] = {
    "case_number": "ケース番号",
    "name": "氏名",
    "kana": "氏名カナ",
    "birth_date": "生年月日",
    "postal_code": "郵便番号",
    "address": "住所",
    "address_building": "方書",
    "phone": "電話番号",
    "kind": "証明書種別",
    "issued_on": "発行日",
    "expires_on": "有効期限",
    "route": "区間",
}
# Registers that keep family and given names in separate columns.
SPLIT_COLUMNS: dict[str, str] = {
    "family_name": "姓",
    "given_name": "名",
    "family_name_kana": "セイ",
    "given_name_kana": "メイ",
}
FIELD_LABELS: dict[str, str] = {**COLUMNS, **SPLIT_COLUMNS}
ALIASES: dict[str, str] = {
    "交付日": "issued_on",
    "フリガナ": "kana",
    "ふりがな": "kana",
    "カナ氏名": "kana",
    "氏名(カナ)": "kana",
    "氏名(フリガナ)": "kana",
    "方書き": "address_building",
    "建物名": "address_building",
    "証明書の種類": "kind",
    "種別": "kind",
    "電話": "phone",
    "有効期間満了日": "expires_on",
}
RESIDENT_LABELS = {
    "family_name": "姓",
    "given_name": "名",
    "family_name_kana": "セイ",
    "given_name_kana": "メイ",
    "birth_date": "生年月日",
    "postal_code": "郵便番号",
    "address": "住所",
    "address_building": "方書",
    "phone": "電話番号",
    "case_number": "ケース番号",
}
REQUIRED_FOR_NEW: tuple[str, ...] = (
    "family_name",
    "given_name",
    "family_name_kana",
    "given_name_kana",
    "birth_date",
    "postal_code",
    "address",
    "phone",
)
ROUTE_SEPARATOR = "〜"
_ROUTE_SPLIT = re.compile(r"\s*[〜～~→⇔]\s*|\s+-\s+")
_NAME_SPLIT = re.compile(r"[\s\u3000]+")
CHUNK = 500


class Outcome:
    CREATED = "created"
    UPDATED = "updated"
    UNCHANGED = "unchanged"
    ERROR = "error"
    LABELS = {"created": "新規", "updated": "更新", "unchanged": "変更なし", "error": "エラー"}


def header_key(text: str) -> str:
    """A heading as compared: NFKC, no spaces, so 「氏名（カナ）」 and 「氏名 (カナ)」 are the same heading."""
    return re.sub(r"\s+", "", unicodedata.normalize("NFKC", text or ""))


class ExtraColumn(Protocol):
    """A column of the register whose data a higher app keeps, such as the resident's office (reservations).

    An app offers its columns from its AppConfig's `register_columns()`, so this module imports nothing of it. The
    import asks once per run, for every distinct text of the column, what it stands for; a text it does not know is
    that row's error, and the row is not taken. The export writes each resident's current value.
    """

    field: str
    label: str
    aliases: tuple[str, ...]

    def canonical(self, texts: Collection[str]) -> dict[str, str | None]:
        """Each text of the file as the value is kept (None: not known)."""
        ...

    def unknown(self, text: str) -> str:
        """The row's error for a text that is not known, in Japanese, saying what is."""
        ...

    def current(self, resident_ids: Collection[int] | None) -> dict[int, str]:
        """The value of each resident (of every resident when None)."""
        ...

    def write(self, values: dict[int, str], *, user: User | None, now: datetime) -> None:
        """Set the value of each resident (by pk)."""
        ...


def extra_columns() -> list[ExtraColumn]:
    columns: list[ExtraColumn] = []
    for config in apps.get_app_configs():
        offer = getattr(config, "register_columns", None)
        if offer is not None:
            columns.extend(offer())
    return columns


def field_labels() -> dict[str, str]:
    """Every field a column can map to, with its heading: the register's own, then the higher apps' columns."""
    return {**FIELD_LABELS, **{c.field: c.label for c in extra_columns()}}


def _defaults() -> dict[str, str]:
    defaults = {header_key(label): name for name, label in FIELD_LABELS.items()}
    defaults.update({header_key(alias): name for alias, name in ALIASES.items()})
    for column in extra_columns():
        defaults[header_key(column.label)] = column.field
        defaults.update({header_key(alias): column.field for alias in column.aliases})
    return defaults


def suggest_mapping(headers: Sequence[str]) -> list[str]:
    """For each column, the field it maps to: what the office chose last time, else the default heading, else ''."""
    remembered = {header_key(c.header): c.field for c in RegisterColumn.objects.all()}
    known = field_labels()
    defaults = _defaults()
    fields: list[str] = []
    for header in headers:
        key = header_key(header)
        choice = remembered[key] if key in remembered else defaults.get(key, "")
        if choice not in known:
            choice = ""
        fields.append(choice if choice not in fields else "")
    return fields


def default_mapping(headers: Sequence[str]) -> list[str]:
    """The mapping from the default headings only (what the shell command uses)."""
    defaults = _defaults()
    fields: list[str] = []
    for header in headers:
        choice = defaults.get(header_key(header), "")
        fields.append(choice if choice not in fields else "")
    return fields


def validate_mapping(headers: Sequence[str], fields: Sequence[str]) -> None:
    if len(fields) != len(headers):
        raise ValidationError("列の対応の数が見出しの数と合いません。もう一度読み込んでください。")
    labels = field_labels()
    unknown = [f for f in fields if f and f not in labels]
    if unknown:
        raise ValidationError(f"知らない項目があります：{', '.join(unknown)}")
    chosen = [f for f in fields if f]
    twice = sorted({f for f in chosen if chosen.count(f) > 1}, key=list(labels).index)
    if twice:
        raise ValidationError("同じ項目が2つ以上の列に割り当てられています：" + "、".join(labels[f] for f in twice))
    if "case_number" not in chosen:
        raise ValidationError("「ケース番号」に当たる列を選んでください。市民はケース番号で照合します。")
    if ("name" in chosen) and ({"family_name", "given_name"} & set(chosen)):
        raise ValidationError("「氏名」と「姓」「名」を同時には使えません。どちらかにしてください。")
    if ("kana" in chosen) and ({"family_name_kana", "given_name_kana"} & set(chosen)):
        raise ValidationError("「氏名カナ」と「セイ」「メイ」を同時には使えません。どちらかにしてください。")


def mapping_remember(headers: Sequence[str], fields: Sequence[str], *, now: datetime) -> None:
    """Keep the office's choice for each heading, for the next import."""
    for header, choice in zip(headers, fields, strict=True):
        if header.strip():
            RegisterColumn.objects.update_or_create(
                header=header.strip()[:100], defaults={"field": choice, "updated_at": now}
            )


# --- cells ----------------------------------------------------------------------------------------------------


def cell_text(value: register_files.Cell, name: str) -> str:
    """A cell as text. Excel's numbers lose leading zeros: a phone number always starts with 0 and a postal code
    has seven digits, so those are put back."""
    if type(value) is str:  # every cell of a CSV: the common case first
        return value.strip()
    if value is None:
        return ""
    if isinstance(value, datetime):
        return value.date().isoformat()
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if isinstance(value, int) and not isinstance(value, bool):
        text = str(value)
        if name == "phone" and not text.startswith("0"):
            return "0" + text
        if name == "postal_code":
            return text.zfill(7)
        return text
    return str(value).strip()


def split_name(value: str) -> tuple[str, str] | None:
    parts = _NAME_SPLIT.split(value.strip(), maxsplit=1)
    if len(parts) != 2 or not all(parts):
        return None
    return parts[0], parts[1]


def split_route(value: str) -> tuple[str, str]:
    parts = _ROUTE_SPLIT.split(value.strip(), maxsplit=1)
    if len(parts) == 2:
        return parts[0].strip(), parts[1].strip()
    return value.strip(), ""


def join_route(route_from: str, route_to: str) -> str:
    if route_from and route_to:
        return f"{route_from}{ROUTE_SEPARATOR}{route_to}"
    return route_from or route_to


# --- planning -------------------------------------------------------------------------------------------------


@dataclass
class RowResult:
    row: int
    case_number: str
    outcome: str
    reasons: list[str]

    def as_dict(self) -> dict[str, Any]:
        return {"row": self.row, "case": self.case_number, "outcome": self.outcome, "reasons": self.reasons}


@dataclass
class PlannedCertificate:
    case_number: str
    kind: CertificateKind
    issued_on: date
    expires_on: date
    route_from: str
    route_to: str


@dataclass
class Plan:
    rows: list[RowResult] = field(default_factory=list)
    # The new residents' normalised fields; the model objects are built only when the plan is written.
    new_residents: dict[str, dict[str, Any]] = field(default_factory=dict)
    changed_residents: dict[str, tuple[Resident, list[str]]] = field(default_factory=dict)
    new_certificates: list[PlannedCertificate] = field(default_factory=list)
    changed_certificates: list[Certificate] = field(default_factory=list)
    # The higher apps' columns (ExtraColumn.field -> case number -> value), for new residents and changed values.
    extra_values: dict[str, dict[str, str]] = field(default_factory=dict)

    def count(self, outcome: str) -> int:
        return sum(1 for r in self.rows if r.outcome == outcome)


def _chunks(items: Sequence[str], size: int = CHUNK) -> Iterator[Sequence[str]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def _kinds() -> tuple[dict[str, CertificateKind], CertificateKind | None]:
    by_name: dict[str, CertificateKind] = {}
    default = None
    for kind in CertificateKind.objects.order_by("id"):
        by_name.setdefault(header_key(kind.name), kind)
        by_name.setdefault(header_key(kind.short_name), kind)
        if kind.is_letter_kind and default is None:
            default = kind
    return by_name, default


def _resident_values(values: dict[str, str], errors: list[str]) -> dict[str, Any]:
    """The resident fields a row gives (only those whose column is mapped), parsed but not yet normalised."""
    data: dict[str, Any] = {}
    if "name" in values:
        if values["name"]:
            parts = split_name(values["name"])
            if parts is None:
                errors.append("氏名：姓と名の間に空白を入れてください（例：山田 花子）。")
            else:
                data["family_name"], data["given_name"] = parts
    if "kana" in values:
        if values["kana"]:
            parts = split_name(jp.to_katakana(values["kana"]))
            if parts is None:
                errors.append("氏名カナ：セイとメイの間に空白を入れてください（例：ヤマダ ハナコ）。")
            else:
                data["family_name_kana"], data["given_name_kana"] = parts
    for name in ("family_name", "given_name", "family_name_kana", "given_name_kana"):
        if values.get(name):
            data[name] = values[name]
    if values.get("birth_date"):
        try:
            data["birth_date"] = jp.parse_date(values["birth_date"])
        except ValueError as exc:
            errors.append(f"生年月日：{exc}")
    for name in ("postal_code", "address", "phone"):
        if values.get(name):
            data[name] = values[name]
    if "address_building" in values:
        data["address_building"] = values["address_building"]
    return data


def plan_rows(
    table: register_files.Table,
    fields: Sequence[str],
    *,
    today: date,
    accept_computed_expiry: bool = False,
) -> Plan:
    """What each row would do, and why, without writing anything."""
    plan = Plan()
    columns = [(index, name) for index, name in enumerate(fields) if name]
    raw_rows = [(number, {name: cell_text(cells[i], name) for i, name in columns}) for number, cells in table.rows]
    cases = sorted({jp.normalize_digits(values.get("case_number", "")) for _n, values in raw_rows} - {""})
    existing: dict[str, Resident] = {}
    existing_certificates: dict[tuple[str, int, date], Certificate] = {}
    for chunk in _chunks(cases):
        for known in Resident.objects.filter(case_number__in=chunk):
            existing[known.case_number] = known
        for certificate in Certificate.objects.filter(resident__case_number__in=chunk).select_related("resident"):
            key = (certificate.resident.case_number, certificate.kind_id, certificate.issued_on)
            existing_certificates.setdefault(key, certificate)
    kinds, default_kind = _kinds()
    # Within one file: the first row of a case number decides the resident's data; later rows must agree.
    first_row: dict[str, tuple[int, dict[str, Any]]] = {}
    planned_certificates: dict[tuple[str, int, date], int] = {}
    resident_fields = {f.name for f in Resident._meta.concrete_fields}
    max_lengths = {f.name: f.max_length for f in Resident._meta.concrete_fields if getattr(f, "max_length", None)}
    mapped = {name for _i, name in columns}
    extras = [c for c in extra_columns() if c.field in mapped]
    extra_canonical = {c.field: c.canonical({v[c.field] for _n, v in raw_rows if v.get(c.field)}) for c in extras}
    extra_current = {c.field: c.current([r.pk for r in existing.values()]) for c in extras}
    first_extras: dict[str, tuple[int, dict[str, str]]] = {}

    for number, values in raw_rows:
        errors: list[str] = []
        notes: list[str] = []
        case = jp.normalize_digits(values.get("case_number", ""))
        if not case:
            plan.rows.append(RowResult(number, "", Outcome.ERROR, ["ケース番号が空欄です。"]))
            continue
        data = _resident_values(values, errors)
        data["case_number"] = case
        clean: dict[str, Any] = {}
        if not errors:
            try:
                clean = services.resident_normalise(data, today=today)
            except ValidationError as exc:
                for name, messages in exc.message_dict.items():
                    errors.extend(f"{RESIDENT_LABELS.get(name, name)}：{m}" for m in messages)

        # The only model validation left after the service's normalisation: text too long for its column.
        for name, value in clean.items():
            limit = max_lengths.get(name)
            if limit and isinstance(value, str) and len(value) > limit:
                errors.append(f"{RESIDENT_LABELS.get(name, name)}：{limit}文字以内にしてください（{len(value)}文字）。")

        # The higher apps' columns: an unknown value is the row's error, nothing of the row is taken.
        row_extras: dict[str, str] = {}
        for column in extras:
            text = values.get(column.field, "")
            if text:
                value = extra_canonical[column.field].get(text)
                if value is None:
                    errors.append(f"{column.label}：{column.unknown(text)}")
                else:
                    row_extras[column.field] = value

        resident = existing.get(case)
        new_resident: dict[str, Any] | None = None
        changed: list[str] = []
        if not errors:
            if case in first_row:
                first_number, first_clean = first_row[case]
                _number, earlier_extras = first_extras[case]
                if any(first_clean.get(k) != v for k, v in clean.items() if k in first_clean) or any(
                    earlier_extras.get(k, v) != v for k, v in row_extras.items()
                ):
                    errors.append(f"{first_number}行目と同じケース番号ですが、市民の内容が違います。")
            elif resident is not None:
                changed = [k for k, v in clean.items() if k in resident_fields and getattr(resident, k) != v]
            else:
                missing = [RESIDENT_LABELS[k] for k in REQUIRED_FOR_NEW if not clean.get(k)]
                if missing:
                    errors.append(f"新しい市民の登録に必要な項目が空欄です：{'、'.join(missing)}")
                else:
                    new_resident = clean

        certificate_plan: PlannedCertificate | None = None
        certificate_change: Certificate | None = None
        wants_certificate = any(values.get(k) for k in ("kind", "issued_on", "expires_on"))
        if wants_certificate and not errors:
            kind = kinds.get(header_key(values.get("kind", ""))) if values.get("kind") else default_kind
            issued_on: date | None = None
            if kind is None:
                errors.append(f"証明書種別「{values.get('kind', '')}」は登録されていません。")
            if not values.get("issued_on"):
                errors.append("発行日が空欄です。")
            else:
                try:
                    issued_on = jp.parse_date(values["issued_on"])
                except ValueError as exc:
                    errors.append(f"発行日：{exc}")
                else:
                    if issued_on > today:
                        errors.append("発行日が未来の日付になっています。")
            if kind is not None and issued_on is not None and not errors:
                computed = services.certificate_expiry(kind=kind, issued_on=issued_on)
                if values.get("expires_on"):
                    try:
                        stated = jp.parse_date(values["expires_on"])
                    except ValueError as exc:
                        errors.append(f"有効期限：{exc}")
                    else:
                        if stated != computed:
                            text = (
                                f"有効期限がファイルでは {stated:%Y/%-m/%-d}、"
                                f"規則による計算では {computed:%Y/%-m/%-d} です。"
                            )
                            if accept_computed_expiry:
                                notes.append(text + "計算した日で登録します。")
                            else:
                                errors.append(
                                    text
                                    + "この行は取り込みません（計算した日で取り込むか、ファイルを直してください）。"
                                )
                route_from, route_to = split_route(values.get("route", ""))
                key = (case, kind.pk, issued_on)
                if not errors:
                    if key in planned_certificates:
                        notes.append(f"同じ証明書が{planned_certificates[key]}行目にもあります。")
                    elif key in existing_certificates:
                        current = existing_certificates[key]
                        if "route" in values and (current.route_from, current.route_to) != (route_from, route_to):
                            current.route_from, current.route_to = route_from, route_to
                            certificate_change = current
                    else:
                        certificate_plan = PlannedCertificate(case, kind, issued_on, computed, route_from, route_to)
                    planned_certificates.setdefault(key, number)

        if errors:
            plan.rows.append(RowResult(number, case, Outcome.ERROR, errors))
            continue
        first_row.setdefault(case, (number, clean))
        first_extras.setdefault(case, (number, row_extras))
        reasons: list[str] = []
        outcome = Outcome.UNCHANGED
        extra_changes: list[str] = []
        for column in extras:
            value = row_extras.get(column.field)
            if value is None:
                continue
            if resident is None or extra_current[column.field].get(resident.pk) != value:
                if case not in plan.extra_values.setdefault(column.field, {}):
                    plan.extra_values[column.field][case] = value
                    if resident is not None:
                        extra_changes.append(f"{column.label}を「{value}」にします。")
        if new_resident is not None:
            plan.new_residents[case] = new_resident
            reasons.append("市民を新しく登録します。")
            outcome = Outcome.CREATED
        elif changed:
            assert resident is not None
            for name in changed:
                setattr(resident, name, clean[name])
            resident.phone_digits = jp.phone_digits(resident.phone)
            plan.changed_residents[case] = (resident, changed)
            reasons.append("市民の登録内容を変更します：" + "、".join(RESIDENT_LABELS.get(n, n) for n in changed))
            outcome = Outcome.UPDATED
        if extra_changes and resident is not None:
            # Logged and dated like any change of the resident's record.
            plan.changed_residents.setdefault(case, (resident, []))
            reasons.extend(extra_changes)
            outcome = Outcome.UPDATED
        if certificate_plan is not None:
            plan.new_certificates.append(certificate_plan)
            reasons.append(
                f"証明書（{certificate_plan.kind.name}、{certificate_plan.issued_on:%Y/%-m/%-d}発行）を登録します。"
            )
            outcome = Outcome.CREATED
        elif certificate_change is not None:
            plan.changed_certificates.append(certificate_change)
            reasons.append("証明書の区間を変更します。")
            if outcome == Outcome.UNCHANGED:
                outcome = Outcome.UPDATED
        if outcome == Outcome.UNCHANGED:
            reasons.append("登録済みの内容と同じです。変更はありません。")
        plan.rows.append(RowResult(number, case, outcome, reasons + notes))
    return plan


# --- runs -----------------------------------------------------------------------------------------------------

# The last file read in this process, by its digest, name and sheet: the dry run and the apply after it (the shell
# command; the next request, when the same process serves it) read it once instead of at every step, which was
# most of an Excel import's time. Only the cells are kept, never changed, and forgotten once the run is applied.
_last_read: tuple[tuple[str, str, str], register_files.Table] | None = None


def _read(content: bytes, filename: str, sheet: str, digest: str = "") -> register_files.Table:
    global _last_read
    key = (digest or hashlib.sha256(content).hexdigest(), filename, sheet)
    last = _last_read
    if last is not None and last[0] == key:
        return last[1]
    table = register_files.read_table(content, filename, sheet)
    _last_read = (key, table)
    return table


def _forget_read() -> None:
    global _last_read
    _last_read = None


def register_import_start(
    *,
    content: bytes,
    filename: str,
    user: User | None,
    actor: str = "",
    sheet: str = "",
    now: datetime | None = None,
) -> RegisterImport:
    """Read an uploaded file (ValidationError when it cannot be read) and log the run with a suggested mapping."""
    now = now or timezone.now()
    digest = hashlib.sha256(content).hexdigest()
    table = _read(content, filename[-200:], sheet[:100], digest)
    if not table.rows:
        raise ValidationError("見出しの行のほかに、データの行がありません。")
    # A file left behind by a dry run nobody applied does not stay in the database for long.
    RegisterImport.objects.filter(at__lt=now - timedelta(days=1)).exclude(content=b"").update(content=b"")
    return RegisterImport.objects.create(
        at=now,
        user=user,
        actor=(actor or (user.get_username() if user else ""))[:150],
        filename=filename[-200:],
        sha256=digest,
        sheet=sheet[:100],
        content=content,
        mapping={"headers": table.headers, "fields": suggest_mapping(table.headers), "encoding": table.encoding},
        rows=len(table.rows),
    )


def _run_table(run: RegisterImport) -> register_files.Table:
    content = bytes(run.content)
    if not content:
        raise ValidationError("この取り込みのファイルはもう残っていません。もう一度ファイルを選んでください。")
    return _read(content, run.filename, run.sheet, run.sha256)


def _store_plan(run: RegisterImport, plan: Plan) -> None:
    run.rows = len(plan.rows)
    run.created = plan.count(Outcome.CREATED)
    run.updated = plan.count(Outcome.UPDATED)
    run.unchanged = plan.count(Outcome.UNCHANGED)
    run.errors = plan.count(Outcome.ERROR)
    run.report = [r.as_dict() for r in plan.rows]


def register_import_check(
    *,
    run: RegisterImport,
    fields: Sequence[str],
    accept_computed_expiry: bool = False,
    remember: bool = True,
    today: date | None = None,
    now: datetime | None = None,
) -> RegisterImport:
    """The dry run: store what each row would do; nothing in the register changes."""
    now = now or timezone.now()
    today = today or timezone.localdate()
    if run.status == RegisterImport.Status.APPLIED:
        raise ValidationError("この取り込みはすでに反映しました。")
    headers = run.mapping.get("headers", [])
    fields = list(fields)
    validate_mapping(headers, fields)
    plan = plan_rows(_run_table(run), fields, today=today, accept_computed_expiry=accept_computed_expiry)
    with transaction.atomic():
        if remember:
            mapping_remember(headers, fields, now=now)
        run.mapping = {**run.mapping, "fields": fields}
        run.accept_computed_expiry = accept_computed_expiry
        run.status = RegisterImport.Status.CHECKED
        _store_plan(run, plan)
        run.save()
    return run


def _lock_register() -> None:
    # Two imports applied at the same moment could both see a certificate as missing and both create it.
    # SQLite runs write transactions one at a time (IMMEDIATE); PostgreSQL needs this lock, released at commit.
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(hashtext('madoguchi.register_import'))")


def register_import_apply(
    *,
    run: RegisterImport,
    user: User | None,
    fields: Sequence[str] | None = None,
    accept_computed_expiry: bool = False,
    today: date | None = None,
    now: datetime | None = None,
) -> RegisterImport:
    """Write what the dry run showed, in one transaction: every row's change, or none at all.

    The staff pages apply only a run checked by a dry run. The shell command, which has no one to show a dry run
    to, passes the mapping (`fields`) and applies straight away; the rows are planned the same way either way.
    """
    now = now or timezone.now()
    today = today or timezone.localdate()
    try:
        with transaction.atomic():
            _lock_register()
            run = RegisterImport.objects.select_for_update().get(pk=run.pk)
            if run.status == RegisterImport.Status.APPLIED:
                raise ValidationError("この取り込みはすでに反映しました。")
            if fields is not None:
                validate_mapping(run.mapping.get("headers", []), list(fields))
                run.mapping = {**run.mapping, "fields": list(fields)}
                run.accept_computed_expiry = accept_computed_expiry
            elif run.status != RegisterImport.Status.CHECKED:
                raise ValidationError("先にドライランで内容を確かめてください。")
            # Planned again inside the lock, so that what is written matches the register as it is now.
            plan = plan_rows(
                _run_table(run),
                run.mapping["fields"],
                today=today,
                accept_computed_expiry=run.accept_computed_expiry,
            )
            _write_plan(plan, user=user, now=now, run=run)
            _store_plan(run, plan)
            run.status = RegisterImport.Status.APPLIED
            run.dry_run = False
            run.applied_at = now
            run.content = b""
            _forget_read()
            if user is not None:
                run.user = user
            run.save()
    except IntegrityError as exc:
        raise ValidationError(
            "ほかの登録と重なったため、取り込みを中止しました。何も変更していません。もう一度ドライランからやり直してください。"
        ) from exc
    return run


def _write_plan(plan: Plan, *, user: User | None, now: datetime, run: RegisterImport) -> None:
    detail = f"台帳の取り込み #{run.pk}"
    new_residents = [
        Resident(**data, phone_digits=jp.phone_digits(data["phone"]), created_at=now, updated_at=now)
        for data in plan.new_residents.values()
    ]
    Resident.objects.bulk_create(new_residents, batch_size=CHUNK)
    changed = [resident for resident, _names in plan.changed_residents.values()]
    if changed:
        names = sorted({n for _r, names in plan.changed_residents.values() for n in names} | {"phone_digits"})
        for resident in changed:
            resident.updated_at = now
        Resident.objects.bulk_update(changed, [*names, "updated_at"], batch_size=CHUNK)
    residents = {r.case_number: r for r in new_residents}
    residents.update({case: resident for case, (resident, _n) in plan.changed_residents.items()})
    missing = sorted({p.case_number for p in plan.new_certificates} - set(residents))
    for chunk in _chunks(missing):
        residents.update({r.case_number: r for r in Resident.objects.filter(case_number__in=chunk)})
    marker = f"tmp{uuid.uuid4().hex[:8]}"
    certificates = [
        Certificate(
            resident=residents[p.case_number],
            kind=p.kind,
            number=f"{marker}{i:08d}",
            issued_on=p.issued_on,
            expires_on=p.expires_on,
            route_from=p.route_from[:50],
            route_to=p.route_to[:50],
            created_at=now,
        )
        for i, p in enumerate(plan.new_certificates)
    ]
    Certificate.objects.bulk_create(certificates, batch_size=CHUNK)
    # The same numbering as a certificate issued at the counter (prefix, year, primary key: unique without a
    # counter), written by one UPDATE per kind instead of one per certificate.
    for kind in {p.kind.pk: p.kind for p in plan.new_certificates}.values():
        padded = Case(
            When(id__gte=1_000_000, then=Cast("id", CharField())),
            default=LPad(Cast("id", CharField()), 6, Value("0")),
            output_field=CharField(),
        )
        year = Cast(ExtractYear("issued_on"), CharField())
        Certificate.objects.filter(kind=kind, number__startswith=marker).update(
            number=Concat(Value(kind.number_prefix), year, Value("-"), padded, output_field=CharField())
        )
    if plan.changed_certificates:
        Certificate.objects.bulk_update(plan.changed_certificates, ["route_from", "route_to"], batch_size=CHUNK)
    for column in extra_columns():
        values = plan.extra_values.get(column.field)
        if values:
            column.write({residents[case].pk: value for case, value in values.items()}, user=user, now=now)
    if user is not None:
        logs = [
            AccessLog(at=now, user=user, action=AccessLog.Action.CREATE, resident=r, detail=detail)
            for r in new_residents
        ]
        logs += [
            AccessLog(at=now, user=user, action=AccessLog.Action.UPDATE, resident=r, detail=detail) for r in changed
        ]
        touched = {c.resident_id for c in certificates} - {r.pk for r in new_residents}
        logs += [
            AccessLog(at=now, user=user, action=AccessLog.Action.ISSUE, resident_id=pk, detail=f"{detail}（証明書）")
            for pk in sorted(touched)
        ]
        AccessLog.objects.bulk_create(logs, batch_size=CHUNK)


# --- export ---------------------------------------------------------------------------------------------------


def export_rows(extras: Sequence[ExtraColumn] = ()) -> Iterator[list[str]]:
    """One row per certificate (a resident without any: one row with the certificate columns empty), then the
    higher apps' columns."""
    extra_values = [column.current(None) for column in extras]
    certificates = Certificate.objects.select_related("kind").order_by("resident_id", "issued_on", "id")
    by_resident: dict[int, list[Certificate]] = {}
    for certificate in certificates.iterator(chunk_size=2000):
        by_resident.setdefault(certificate.resident_id, []).append(certificate)
    for resident in Resident.objects.order_by("case_number").iterator(chunk_size=2000):
        person = [
            resident.case_number,
            resident.full_name,
            resident.full_kana,
            resident.birth_date.isoformat(),
            resident.postal_code,
            resident.address,
            resident.address_building,
            resident.phone,
        ]
        held = by_resident.get(resident.pk, [])
        after = [values.get(resident.pk, "") for values in extra_values]
        if not held:
            yield person + ["", "", "", "", *after]
        for c in held:
            yield person + [
                c.kind.name,
                c.issued_on.isoformat(),
                c.expires_on.isoformat(),
                join_route(c.route_from, c.route_to),
                *after,
            ]


def register_export(*, fmt: str, user: User | None, encoding: str = "utf-8-sig") -> bytes:
    """The whole register with the import's columns, so that an export imports again without a change."""
    extras = extra_columns()
    headers = [*COLUMNS.values(), *(column.label for column in extras)]
    rows = list(export_rows(extras))
    if fmt == "xlsx":
        content = register_files.write_xlsx(headers, rows)
    else:
        content = register_files.write_csv(headers, rows, encoding=encoding)
    if user is not None:
        services.access_log_record(user=user, action=AccessLog.Action.EXPORT, detail=f"台帳の出力（{len(rows)}行）")
    return content
