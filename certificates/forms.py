from __future__ import annotations

from datetime import date
from typing import Any

from django import forms

from certificates import jp, rules
from certificates.models import Certificate, CertificateKind, Resident
from certificates.services import RESIDENT_FIELDS
from staff import form_messages

ERA_CHOICES = [("", "西暦"), *[(name, name) for name in jp.ERA_NAMES[:4]]]


class SplitDateMixin:
    """A known date (birth date) as year / month / day fields, as the Digital Agency design system asks; the year
    in the Western calendar or in an era (昭和35年), as residents say it at the counter."""

    def split_date(self, prefix: str, label: str) -> date | None:
        data: dict[str, Any] = self.cleaned_data  # type: ignore[attr-defined]
        year, month, day = data.get(f"{prefix}_year"), data.get(f"{prefix}_month"), data.get(f"{prefix}_day")
        era = data.get(f"{prefix}_era") or ""
        if year is None or month is None or day is None:
            return None
        if era:
            try:
                return jp.era_date(era, year, month, day)
            except ValueError as exc:
                self.add_error(f"{prefix}_year", f"{label}：{exc}")  # type: ignore[attr-defined]
                return None
        if year < 1868:
            self.add_error(  # type: ignore[attr-defined]
                f"{prefix}_year",
                f"{label}の年は西暦4桁（例：1960）で入力するか、元号（昭和など）を選んで入力してください。",
            )
            return None
        try:
            return date(year, month, day)
        except ValueError:
            self.add_error(f"{prefix}_year", f"{label}が正しい日付ではありません。")  # type: ignore[attr-defined]
            return None


class ResidentForm(SplitDateMixin, form_messages.ModelForm):
    birth_era = forms.ChoiceField(label="生年月日（元号）", choices=ERA_CHOICES, required=False)
    birth_year = forms.IntegerField(
        label="生年月日（年）",
        min_value=1,
        max_value=2100,
        widget=forms.NumberInput(attrs={"inputmode": "numeric", "class": "w-4"}),
    )
    birth_month = forms.IntegerField(
        label="月", min_value=1, max_value=12, widget=forms.NumberInput(attrs={"inputmode": "numeric", "class": "w-2"})
    )
    birth_day = forms.IntegerField(
        label="日", min_value=1, max_value=31, widget=forms.NumberInput(attrs={"inputmode": "numeric", "class": "w-2"})
    )

    class Meta:
        model = Resident
        # The service's fields; the birth date comes from the three fields above.
        fields = [name for name in RESIDENT_FIELDS if name != "birth_date"]
        help_texts = {
            "family_name_kana": "カタカナで入力してください（ひらがなも可）",
            "postal_code": "7桁（例：530-0001）",
            "phone": "例：06-1234-5678",
            "category": "職員だけが見る情報です。お知らせやメールには出ません",
        }
        widgets = {
            "notes": forms.Textarea(attrs={"rows": 3}),
            "postal_code": forms.TextInput(attrs={"inputmode": "numeric", "autocomplete": "off", "class": "w-8"}),
            "phone": forms.TextInput(attrs={"inputmode": "tel", "class": "w-14"}),
            "eligibility_confirmed_on": forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
            "eligibility_ended_on": forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        }

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        instance = kwargs.get("instance")
        if instance is not None and instance.pk and not self.is_bound:
            self.initial.update(
                birth_year=instance.birth_date.year,
                birth_month=instance.birth_date.month,
                birth_day=instance.birth_date.day,
            )
        # Bring the split date to the place it is read in the form.
        order = [
            "family_name",
            "given_name",
            "family_name_kana",
            "given_name_kana",
            "birth_era",
            "birth_year",
            "birth_month",
            "birth_day",
        ]
        self.order_fields(order + [f for f in self.fields if f not in order])

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        data["birth_date"] = self.split_date("birth", "生年月日")
        return data

    def _post_clean(self) -> None:
        # Normalisation and validation live in the service; the form only checks shapes.
        pass

    def service_data(self) -> dict[str, Any]:
        data = {name: self.cleaned_data[name] for name in self.Meta.fields}
        data["birth_date"] = self.cleaned_data["birth_date"]
        return data


class ResidentSearchForm(form_messages.Form):
    q = forms.CharField(label="氏名・フリガナ・電話番号・ケース番号", max_length=100, required=False)


def date_input() -> forms.DateInput:
    return forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


class PhotoCheckMixin:
    """The photo date on the issue and renew forms.

    Marked required (必須) when the kind being issued needs a photo, and its help says how old it may be. When the
    date looks like the photo of the previous certificate (rules.photo_may_be_reused), the form comes back once
    with a warning and a box the clerk ticks after comparing the photo; nothing is issued before that."""

    REUSE_FIELD = "photo_reuse_checked"
    photo_reuse_confirmed = False
    previous_photo: Certificate | None = None
    photo_kind: CertificateKind | None = None

    def setup_photo(self, *, kind: CertificateKind | None, previous: Certificate | None) -> None:
        self.previous_photo = previous
        self.photo_kind = kind
        field = self.fields["photo_taken_on"]  # type: ignore[attr-defined]
        if kind is not None and kind.photo_required:
            field.required = True
            field.help_text = (
                f"ご本人に撮影日を確かめて入力してください。交付日の前{kind.photo_max_age_months}か月以内に"
                f"撮影した写真（{kind.photo_size}）が必要です。"
            )
        elif kind is not None:
            field.help_text = f"「{kind.name}」は写真が不要です。写真を受け取った場合だけ入力してください。"

    def check_photo_reuse(self, data: dict[str, Any]) -> None:
        previous, kind = self.previous_photo, self.photo_kind
        photo, issued_on = data.get("photo_taken_on"), data.get("issued_on")
        if previous is None or photo is None or issued_on is None or kind is None or not kind.photo_required:
            return
        if not rules.photo_is_acceptable(photo, issued_on, kind.photo_max_age_months):
            return  # the service refuses it for its age, which is the message that matters
        if not rules.photo_may_be_reused(
            photo,
            previous_photo_taken_on=previous.photo_taken_on,
            previous_issued_on=previous.issued_on,
            issued_on=issued_on,
        ):
            return
        fields = self.fields  # type: ignore[attr-defined]
        fields[self.REUSE_FIELD] = forms.BooleanField(
            label="ご本人の写真を見て、前回の証明書と同じ写真ではないことを確かめました", required=False
        )
        names = [name for name in fields if name != self.REUSE_FIELD]
        names.insert(names.index("photo_taken_on") + 1, self.REUSE_FIELD)
        self.order_fields(names)  # type: ignore[attr-defined]
        if self.data.get(self.REUSE_FIELD):  # type: ignore[attr-defined]
            self.photo_reuse_confirmed = True
            return
        reason = (
            f"前回の証明書（{jp.wareki(previous.issued_on)}交付）の写真と同じ撮影日です。"
            if previous.photo_taken_on == photo
            else f"前回の証明書の交付日（{jp.wareki(previous.issued_on)}）より前に撮影された写真です。"
        )
        self.add_error(  # type: ignore[attr-defined]
            self.REUSE_FIELD,
            f"{reason}前回と同じ写真ではありませんか。写真を確かめてからチェックを入れ、もう一度「交付する」を"
            "押してください。同じ写真のときは、撮り直しをお願いしてください。",
        )


class CertificateIssueForm(PhotoCheckMixin, form_messages.Form):
    kind = forms.ModelChoiceField(label="証明書の種類", queryset=CertificateKind.objects.all(), empty_label=None)
    issued_on = forms.DateField(label="交付日", widget=date_input())
    photo_taken_on = forms.DateField(label="写真の撮影日（申告）", required=False, widget=date_input())
    route_from = forms.CharField(label="区間（から）", max_length=50, required=False)
    route_to = forms.CharField(label="区間（まで）", max_length=50, required=False)

    def __init__(self, *args: Any, previous: Certificate | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.setup_photo(kind=self._chosen_kind(), previous=previous)

    def _chosen_kind(self) -> CertificateKind | None:
        """The kind the form is about: the one sent, else the one it opened with."""
        if self.is_bound:
            value = str(self.data.get("kind", ""))
            return CertificateKind.objects.filter(pk=value).first() if value.isdigit() else None
        initial = self.initial.get("kind")
        if initial is None or isinstance(initial, CertificateKind):
            return initial
        return CertificateKind.objects.filter(pk=initial).first()

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        self.check_photo_reuse(data)
        return data


class CertificateRenewForm(PhotoCheckMixin, form_messages.Form):
    issued_on = forms.DateField(label="交付日", widget=date_input())
    photo_taken_on = forms.DateField(label="写真の撮影日（申告）", required=False, widget=date_input())
    route_from = forms.CharField(label="区間（から）", max_length=50, required=False)
    route_to = forms.CharField(label="区間（まで）", max_length=50, required=False)

    def __init__(
        self, *args: Any, kind: CertificateKind | None = None, previous: Certificate | None = None, **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        self.setup_photo(kind=kind, previous=previous)

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        self.check_photo_reuse(data)
        return data


class CertificateRevokeForm(form_messages.Form):
    reason = forms.CharField(label="取消の理由", max_length=200)


class ExpiringMonthForm(form_messages.Form):
    month = forms.CharField(
        label="有効期限の月",
        max_length=7,
        help_text="年-月（例：2026-12）",
        widget=forms.TextInput(attrs={"type": "month"}),
    )
    kind = forms.ModelChoiceField(
        label="証明書の種類", queryset=CertificateKind.objects.all(), required=False, empty_label="すべて"
    )

    def clean_month(self) -> tuple[int, int]:
        value = self.cleaned_data["month"]
        try:
            year, month = (int(x) for x in value.split("-"))
            date(year, month, 1)
        except ValueError as exc:
            raise forms.ValidationError("有効期限の月は、年-月の形で入力してください（例：2026-12）。") from exc
        return year, month
