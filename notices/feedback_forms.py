"""Forms of the complaint log and the resident survey."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from notices.models import Complaint, ComplaintCategory
from staff import form_messages


class ComplaintForm(form_messages.Form):
    category = forms.ModelChoiceField(
        label="区分",
        queryset=ComplaintCategory.objects.none(),
        widget=forms.RadioSelect,
        empty_label=None,
        error_messages={"required": "区分を選んでください。", "invalid_choice": "区分を選び直してください。"},
    )
    channel = forms.ChoiceField(
        label="受けた方法",
        choices=Complaint.Channel.choices,
        initial=Complaint.Channel.COUNTER,
        widget=forms.RadioSelect,
        error_messages={"required": "受けた方法を選んでください。"},
    )
    received_on = forms.DateField(
        label="受けた日",
        widget=forms.DateInput(attrs={"type": "date", "class": "w-8"}),
        error_messages={
            "required": "受けた日を入力してください。",
            "invalid": "日付は 2026-11-25 の形で入力してください。",
        },
    )
    text = forms.CharField(
        label="内容",
        required=False,
        max_length=1000,
        help_text="言われたことを短く。氏名・電話番号など、個人が分かることは書かないでください。",
        widget=forms.Textarea(attrs={"rows": 3}),
        error_messages={"max_length": "内容は1000文字以内で入力してください。"},
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        category = self.fields["category"]
        assert isinstance(category, forms.ModelChoiceField)
        category.queryset = ComplaintCategory.objects.filter(active=True)
        self.fields["received_on"].initial = timezone.localdate()


class CategoryForm(form_messages.Form):
    name = forms.CharField(
        label="区分の名前",
        max_length=60,
        error_messages={"required": "区分の名前を入力してください。"},
        widget=forms.TextInput(attrs={"class": "w-14"}),
    )


SATISFACTION = [
    ("5", _("5　とても満足")),
    ("4", _("4　満足")),
    ("3", _("3　ふつう")),
    ("2", _("2　不満")),
    ("1", _("1　とても不満")),
]


class SurveyForm(form_messages.Form):
    """Every question may be left out; an answer with no question answered at all is not stored."""

    how_booked = forms.ChoiceField(
        label=_("今回、どのように予約しましたか"),
        required=False,
        widget=forms.RadioSelect,
        choices=[
            ("internet", _("インターネット")),
            ("phone", _("電話")),
            ("counter", _("窓口")),
            ("none", _("予約しなかった")),
        ],
    )
    letter_helped = forms.ChoiceField(
        label=_("市役所からのお知らせ（手紙）は役に立ちましたか"),
        required=False,
        widget=forms.RadioSelect,
        choices=[
            ("yes", _("役に立った")),
            ("no", _("役に立たなかった")),
            ("no_letter", _("受け取っていない・読んでいない")),
        ],
    )
    wait = forms.ChoiceField(
        label=_("窓口でどのくらい待ちましたか"),
        required=False,
        widget=forms.RadioSelect,
        choices=[
            ("under_5", _("5分未満")),
            ("5_15", _("5分〜15分")),
            ("15_30", _("15分〜30分")),
            ("over_30", _("30分以上")),
            ("not_yet", _("まだ来庁していない")),
        ],
    )
    satisfaction = forms.TypedChoiceField(
        label=_("全体として満足しましたか"),
        required=False,
        coerce=int,
        empty_value=None,
        widget=forms.RadioSelect,
        choices=SATISFACTION,
    )
    comment = forms.CharField(
        label=_("ご意見・ご感想"),
        required=False,
        max_length=1000,
        help_text=_("お名前・電話番号など、個人が分かることは書かないでください。"),
        widget=forms.Textarea(attrs={"rows": 4}),
        error_messages={"max_length": _("1000文字以内でお書きください。")},
    )

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if not self.errors and not any(data.get(name) not in (None, "") for name in self.fields):
            raise forms.ValidationError(_("どれか一つ以上の質問にお答えください。"))
        return data
