"""Forms of the supervisor's staff-account pages."""

from __future__ import annotations

from django import forms

from staff.accounts import ROLE_LABELS
from staff.form_messages import Form

LINK = "link"
PASSWORD = "password"


class AccountForm(Form):
    family_name = forms.CharField(label="姓", max_length=150, widget=forms.TextInput(attrs={"class": "w-8"}))
    given_name = forms.CharField(
        label="名", max_length=150, required=False, widget=forms.TextInput(attrs={"class": "w-8"})
    )
    username = forms.CharField(
        label="ユーザー名",
        max_length=150,
        help_text="ログインに使う名前です。半角の英数字と @ . + - _ が使えます（例：sato.hanako）。",
        widget=forms.TextInput(attrs={"class": "w-14", "autocomplete": "off", "spellcheck": "false"}),
    )
    role = forms.ChoiceField(label="役割", choices=list(ROLE_LABELS.items()), initial="clerk", widget=forms.RadioSelect)
    start = forms.ChoiceField(
        label="最初のパスワード",
        choices=[
            (LINK, "本人が設定する（パスワード設定用リンクを発行）"),
            (PASSWORD, "初期パスワードをここで決める"),
        ],
        initial=LINK,
        widget=forms.RadioSelect,
    )
    password = forms.CharField(
        label="初期パスワード",
        required=False,
        strip=False,
        help_text="「初期パスワードをここで決める」を選んだときだけ入力します。8文字以上で、名前やよくある語に"
        "似ていないものにしてください。",
        widget=forms.PasswordInput(attrs={"class": "w-14", "autocomplete": "new-password"}),
    )

    def clean(self) -> dict:
        data = super().clean() or {}
        if data.get("start") == PASSWORD and not data.get("password"):
            self.add_error("password", "初期パスワードを入力するか、「本人が設定する」を選んでください。")
        if data.get("start") == LINK:
            data["password"] = ""
        return data
