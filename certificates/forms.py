from __future__ import annotations

from datetime import date
from typing import Any

from django import forms

from certificates.models import CertificateKind, Resident
from certificates.services import RESIDENT_FIELDS
from staff import form_messages


class SplitDateMixin:
    """A known date (birth date) as year / month / day fields, as the Digital Agency design system asks."""

    def split_date(self, prefix: str, label: str) -> date | None:
        data: dict[str, Any] = self.cleaned_data  # type: ignore[attr-defined]
        year, month, day = data.get(f"{prefix}_year"), data.get(f"{prefix}_month"), data.get(f"{prefix}_day")
        if year is None or month is None or day is None:
            return None
        try:
            return date(year, month, day)
        except ValueError:
            self.add_error(f"{prefix}_year", f"{label}が正しい日付ではありません。")  # type: ignore[attr-defined]
            return None


class ResidentForm(SplitDateMixin, form_messages.ModelForm):
    birth_year = forms.IntegerField(
        label="生年月日（年）",
        min_value=1900,
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


class CertificateIssueForm(form_messages.Form):
    kind = forms.ModelChoiceField(label="証明書の種類", queryset=CertificateKind.objects.all(), empty_label=None)
    issued_on = forms.DateField(label="交付日", widget=date_input())
    photo_taken_on = forms.DateField(
        label="写真の撮影日",
        required=False,
        widget=date_input(),
        help_text="写真が必要な種類では必須です。交付日から6か月以内に撮影したもの。",
    )
    route_from = forms.CharField(label="区間（から）", max_length=50, required=False)
    route_to = forms.CharField(label="区間（まで）", max_length=50, required=False)


class CertificateRenewForm(form_messages.Form):
    issued_on = forms.DateField(label="交付日", widget=date_input())
    photo_taken_on = forms.DateField(label="写真の撮影日", required=False, widget=date_input())
    route_from = forms.CharField(label="区間（から）", max_length=50, required=False)
    route_to = forms.CharField(label="区間（まで）", max_length=50, required=False)


class CertificateRevokeForm(form_messages.Form):
    reason = forms.CharField(label="取消の理由", max_length=200)


class ExpiringMonthForm(form_messages.Form):
    month = forms.CharField(label="月（YYYY-MM）", max_length=7, widget=forms.TextInput(attrs={"type": "month"}))
    kind = forms.ModelChoiceField(
        label="証明書の種類", queryset=CertificateKind.objects.all(), required=False, empty_label="すべて"
    )

    def clean_month(self) -> tuple[int, int]:
        value = self.cleaned_data["month"]
        try:
            year, month = (int(x) for x in value.split("-"))
            date(year, month, 1)
        except ValueError as exc:
            raise forms.ValidationError("月は YYYY-MM の形で入力してください。") from exc
        return year, month
