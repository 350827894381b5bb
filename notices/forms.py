from __future__ import annotations

from datetime import date
from typing import Any

from django import forms

from notices.letters import TEXT_FIELDS
from notices.models import PLACEHOLDERS, LetterTemplate
from staff import form_messages


class MonthForm(form_messages.Form):
    month = forms.CharField(
        label="対象月（有効期限の月）", max_length=7, widget=forms.TextInput(attrs={"type": "month", "class": "w-8"})
    )

    def clean_month(self) -> date:
        try:
            year, month = (int(x) for x in self.cleaned_data["month"].split("-"))
            return date(year, month, 1)
        except ValueError as exc:
            raise forms.ValidationError("月は、年-月の形で入力してください（例：2027-01）。") from exc


class MailedForm(form_messages.Form):
    mailed_on = forms.DateField(label="発送日", widget=forms.DateInput(attrs={"type": "date"}))


class LetterStatusForm(form_messages.Form):
    status = forms.ChoiceField(label="記録", choices=[("returned", "返送"), ("cancelled", "取りやめ")])
    reason = forms.CharField(label="理由", max_length=200)


class LetterTemplateForm(form_messages.ModelForm):
    class Meta:
        model = LetterTemplate
        fields = [
            "title",
            *TEXT_FIELDS,
            "address_top_mm",
            "address_left_mm",
            "address_width_mm",
            "address_height_mm",
        ]
        widgets = {name: forms.Textarea(attrs={"rows": 3}) for name in TEXT_FIELDS}

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        names = "、".join(f"{{{k}}}（{v}）" for k, v in PLACEHOLDERS.items())
        for name in TEXT_FIELDS:
            self.fields[name].help_text = f"使える差し込み：{names}"
        # The checks of the slots and of the length are LetterTemplate.clean(), which ModelForm runs: the admin and
        # the services use the same rules.


class ReadingCorrectionForm(form_messages.Form):
    word = forms.CharField(
        label="語", max_length=30, help_text="漢字を含む語。前後の文字も含めると、その場合だけ直せます（例：使う方）"
    )
    reading = forms.CharField(label="読み", max_length=60, help_text="語全体の読みをひらがなで（例：つかうかた）")
