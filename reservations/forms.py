from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from reservations.models import (
    Acknowledgement,
    CalendarDay,
    CapacityOverride,
    DutyException,
    OpeningHours,
    Procedure,
    Reservation,
    WalkIn,
)
from staff import form_messages


class AcknowledgementForm(form_messages.Form):
    """One checkbox per active acknowledgement; required ones must be ticked."""

    def __init__(
        self, *args: Any, acknowledgements: list[Acknowledgement], language: str = "ja", **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        self.acknowledgements = acknowledgements
        for number, ack in enumerate(acknowledgements, start=1):
            # The whole statement is the checkbox's label; the error names it by number and its first words,
            # so the summary at the top of the page stays one line per statement.
            text = ack.render(language)
            short = text if len(text) <= 16 else text[:15] + "…"
            name = _("確認事項%(number)s") % {"number": number}
            field = forms.BooleanField(
                label=text,
                required=ack.required,
                error_messages={
                    "required": _("%(name)s「%(short)s」を読んで、チェックを入れてください。")
                    % {"name": name, "short": short}
                },
            )
            field.summary_label = name  # type: ignore[attr-defined]
            self.fields[f"ack_{ack.pk}"] = field

    def agreed_ids(self) -> list[int]:
        return [ack.pk for ack in self.acknowledgements if self.cleaned_data.get(f"ack_{ack.pk}")]


class ContactForm(form_messages.Form):
    family_name = forms.CharField(
        label=_("姓"), max_length=50, widget=forms.TextInput(attrs={"autocomplete": "family-name", "class": "w-14"})
    )
    given_name = forms.CharField(
        label=_("名"), max_length=50, widget=forms.TextInput(attrs={"autocomplete": "given-name", "class": "w-14"})
    )
    family_name_kana = forms.CharField(
        label=_("セイ（フリガナ）"),
        max_length=50,
        help_text=_("カタカナで入力してください（ひらがなも可）"),
        widget=forms.TextInput(attrs={"class": "w-14"}),
    )
    given_name_kana = forms.CharField(
        label=_("メイ（フリガナ）"), max_length=50, widget=forms.TextInput(attrs={"class": "w-14"})
    )
    phone = forms.CharField(
        label=_("電話番号"),
        max_length=20,
        help_text=_("日中に連絡がつく番号（例：090-1234-5678）"),
        widget=forms.TextInput(attrs={"type": "tel", "autocomplete": "tel", "inputmode": "tel", "class": "w-14"}),
    )
    email = forms.EmailField(
        label=_("メールアドレス"),
        required=False,
        max_length=254,
        help_text=_("入力すると、予約の確認メールと前日のお知らせメールが届きます"),
        widget=forms.EmailInput(attrs={"autocomplete": "email"}),
    )
    pass_user_name = forms.CharField(
        label=_("定期券を使う方の氏名"),
        max_length=100,
        required=False,
        help_text=_("予約する方と定期券を使う方が違う場合に入力してください"),
    )
    needs = forms.MultipleChoiceField(
        label=_("来庁時に配慮が必要なこと"),
        choices=Reservation.Need.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("当てはまるものがあれば選んでください。窓口で準備してお待ちします。"),
    )
    needs_other = forms.CharField(
        label=_("その他の配慮"),
        max_length=200,
        required=False,
        help_text=_("例：ゆっくり話してほしい、座って待ちたい"),
    )

    def __init__(self, *args: Any, latin_reading: bool = False, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if latin_reading:
            # In English the reading may be in Latin letters, or left empty for a name written in them.
            for name in ("family_name_kana", "given_name_kana"):
                self.fields[name].required = False
            self.fields["family_name_kana"].label = _("セイ（フリガナまたはローマ字）")
            self.fields["given_name_kana"].label = _("メイ（フリガナまたはローマ字）")
            self.fields["family_name_kana"].help_text = _(
                "カタカナかローマ字で入力してください。氏名をローマ字で入力した場合は空欄で構いません"
            )


class LookupForm(form_messages.Form):
    number = forms.CharField(
        label=_("予約番号"),
        max_length=20,
        help_text=_("8文字の英数字（例：ACDE-FG34）"),
        widget=forms.TextInput(attrs={"autocomplete": "off", "autocapitalize": "characters", "class": "w-14"}),
    )
    phone = forms.CharField(
        label=_("電話番号"),
        max_length=20,
        help_text=_("予約のときに入力した電話番号"),
        widget=forms.TextInput(attrs={"type": "tel", "inputmode": "tel", "class": "w-14"}),
    )


class CodeForm(form_messages.Form):
    code = forms.CharField(
        label=_("予約コード"),
        max_length=20,
        help_text=_("お知らせの手紙に書かれたコード（例：ACDE-FG34）"),
        widget=forms.TextInput(attrs={"autocomplete": "off", "autocapitalize": "characters", "class": "w-14"}),
    )


class StaffBookingForm(ContactForm):
    channel = forms.ChoiceField(
        label="受付方法", choices=[(Reservation.Channel.PHONE, "電話"), (Reservation.Channel.COUNTER, "窓口")]
    )
    notes = forms.CharField(label="メモ（職員用）", required=False, widget=forms.Textarea(attrs={"rows": 2}))


class ProcedureField(forms.ModelChoiceField):
    """A procedure named with its office: a city with several counters offers the same procedure at each."""

    def label_from_instance(self, obj: Procedure) -> str:
        return f"{obj.name}（{obj.office.name}）"


class WalkInForm(form_messages.Form):
    procedure = ProcedureField(
        label="手続き", queryset=Procedure.objects.filter(is_active=True).select_related("office"), empty_label=None
    )
    served = forms.BooleanField(label="対応した（対応できなかった場合はチェックを外す）", required=False, initial=True)
    had_letter = forms.ChoiceField(
        label="お知らせ（手紙）を受け取ったか",
        choices=WalkIn.HadLetter.choices,
        initial=WalkIn.HadLetter.UNKNOWN,
        required=False,
        help_text="ご本人に確かめてください。分からなければ「分からない」のままで構いません。",
    )
    photo_too_old = forms.BooleanField(label="写真が古かった（撮り直しを案内した）", required=False)
    note = forms.CharField(label="メモ", required=False, max_length=200)

    def clean_had_letter(self) -> str:
        return self.cleaned_data.get("had_letter") or WalkIn.HadLetter.UNKNOWN


class _WithinProcedureCap:
    """A number of places above the procedure's per-slot cap would be silently cut to it: say so instead."""

    def clean(self) -> dict[str, Any]:
        data = super().clean()  # type: ignore[misc]
        procedure, places = data.get("procedure"), data.get("places")
        if procedure is not None and places is not None and places > procedure.places_per_slot:
            self.add_error(  # type: ignore[attr-defined]
                "places",
                f"「{procedure.name}」の1枠の定員の上限は{procedure.places_per_slot}人です。"
                "上限を変えるときは、管理画面の「手続き」で変えてください。",
            )
        return data


CHOOSE = "選んでください"


class _ChooseInJapanese:
    """Selects start with 「選んでください」 instead of Django's 「---------」, which reads as a broken page."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for field in self.fields.values():  # type: ignore[attr-defined]
            if isinstance(field, forms.ModelChoiceField):
                if field.empty_label == "---------":
                    field.empty_label = CHOOSE
            elif isinstance(field, forms.ChoiceField):
                field.choices = [(value, CHOOSE if value == "" else label) for value, label in field.widget.choices]


class OpeningHoursForm(_ChooseInJapanese, _WithinProcedureCap, form_messages.ModelForm):
    class Meta:
        model = OpeningHours
        fields = ["procedure", "weekday", "start", "end", "slot_minutes", "places"]
        field_classes = {"procedure": ProcedureField}
        widgets = {"start": forms.TimeInput(attrs={"type": "time"}), "end": forms.TimeInput(attrs={"type": "time"})}


class CalendarDayForm(_ChooseInJapanese, form_messages.ModelForm):
    class Meta:
        model = CalendarDay
        fields = ["day", "office", "kind", "hours_like", "note"]
        widgets = {"day": forms.DateInput(attrs={"type": "date"})}

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["office"].empty_label = "すべての窓口"  # type: ignore[attr-defined]


class CapacityOverrideForm(_ChooseInJapanese, _WithinProcedureCap, form_messages.ModelForm):
    class Meta:
        model = CapacityOverride
        fields = ["procedure", "day", "start", "places", "note"]
        field_classes = {"procedure": ProcedureField}
        widgets = {"day": forms.DateInput(attrs={"type": "date"}), "start": forms.TimeInput(attrs={"type": "time"})}


class ReviewCancelForm(form_messages.Form):
    reason = forms.CharField(
        label="取り消す理由",
        max_length=150,
        help_text="取り消した予約それぞれに記録されます。例：同じ端末から短時間に多数の予約があり、電話で確認できなかったため",
        widget=forms.TextInput(attrs={"class": "w-20"}),
    )


# --- the rota, qualifications, the counter guide ----------------------------------------------------------


class StaffChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj) -> str:
        return f"{obj.last_name} {obj.first_name}".strip() or obj.get_username()


def _staff_queryset():
    from django.contrib.auth import get_user_model

    return (
        get_user_model()
        .objects.filter(is_active=True, groups__name__in=["clerk", "supervisor"])
        .distinct()
        .order_by("last_name", "first_name", "username")
    )


class DutyPatternForm(form_messages.Form):
    user = StaffChoiceField(label="職員", queryset=_staff_queryset(), empty_label="選んでください")
    weekdays = forms.TypedMultipleChoiceField(
        label="曜日",
        choices=OpeningHours.WEEKDAYS,
        coerce=int,
        widget=forms.CheckboxSelectMultiple,
        help_text="選んだ曜日の毎週の勤務を、この時間で置き換えます",
    )
    start = forms.TimeField(label="開始", required=False, widget=forms.TimeInput(attrs={"type": "time"}))
    end = forms.TimeField(label="終了", required=False, widget=forms.TimeInput(attrs={"type": "time"}))
    off = forms.BooleanField(label="この曜日は窓口に出ない", required=False)

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["user"].queryset = _staff_queryset()  # type: ignore[attr-defined]

    def clean(self) -> dict:
        data = super().clean() or {}
        if not data.get("off"):
            if not data.get("start") or not data.get("end"):
                raise forms.ValidationError(
                    "開始と終了の時刻を入力するか、「この曜日は窓口に出ない」を選んでください。"
                )
            if data["end"] <= data["start"]:
                self.add_error("end", "終了は開始より後の時刻にしてください。")
        return data


class DutyExceptionForm(form_messages.Form):
    user = StaffChoiceField(label="職員", queryset=_staff_queryset(), empty_label="選んでください")
    day = forms.DateField(label="日付", widget=forms.DateInput(attrs={"type": "date"}))
    kind = forms.ChoiceField(label="種別", choices=[("", "選んでください"), *DutyException.Kind.choices])
    start = forms.TimeField(
        label="開始",
        required=False,
        help_text="時間単位の不在・臨時の勤務のとき。終日の不在は空欄",
        widget=forms.TimeInput(attrs={"type": "time"}),
    )
    end = forms.TimeField(label="終了", required=False, widget=forms.TimeInput(attrs={"type": "time"}))
    note = forms.CharField(label="メモ", required=False, max_length=100)

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["user"].queryset = _staff_queryset()  # type: ignore[attr-defined]


class GuideForm(form_messages.Form):
    steps = forms.CharField(
        label="手順",
        help_text="1行に1項目。# で始まる行は見出しになります。{photo_date} は予約ごとの写真の撮影期限、"
        "{photo_size} は写真のサイズに置き換わります",
        widget=forms.Textarea(attrs={"rows": 18}),
    )
    note = forms.CharField(label="改版の理由", required=False, max_length=200)
