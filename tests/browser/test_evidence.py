"""The survey and the complaint log, tried on a phone as a resident and a clerk would."""

from __future__ import annotations

import pytest

from notices.models import Complaint, SurveyResponse
from tests import factories
from tests.browser.conftest import axe_violations
from tests.factories import PASSWORD

pytestmark = pytest.mark.django_db(transaction=True)


def test_a_resident_answers_the_survey_from_the_counter_card_on_a_phone(live_server, phone) -> None:
    factories.ensure_defaults()
    phone.goto(f"{live_server.url}/survey/")
    phone.get_by_role("heading", name="窓口についてのアンケート").wait_for()
    assert axe_violations(phone) == []
    phone.get_by_role("button", name="送信する").click()
    phone.get_by_text("どれか一つ以上の質問にお答えください。").first.wait_for()
    assert axe_violations(phone) == []
    phone.get_by_role("group", name="今回、どのように予約しましたか").get_by_label("電話").check()
    phone.get_by_label("受け取っていない・読んでいない").check()
    phone.get_by_label("5分〜15分").check()
    phone.get_by_label("4　満足").check()
    phone.get_by_label("ご意見・ご感想").fill("電話で予約できて助かりました")
    phone.get_by_role("button", name="送信する").click()
    phone.get_by_role("heading", name="ご協力ありがとうございました").wait_for()
    assert axe_violations(phone) == []
    answer = SurveyResponse.objects.get()
    assert (answer.source, answer.how_booked, answer.letter_helped, answer.wait, answer.satisfaction) == (
        "card",
        "phone",
        "no_letter",
        "5_15",
        4,
    )
    assert answer.comment == "電話で予約できて助かりました"


def test_a_clerk_records_a_complaint_in_a_few_taps_on_a_phone(live_server, phone) -> None:
    factories.user("alice", "clerk")
    phone.goto(f"{live_server.url}/staff/notices/complaints/")
    phone.get_by_label("ユーザー名").fill("alice")
    phone.get_by_label("パスワード").fill(PASSWORD)
    phone.get_by_role("button", name="ログイン").click()
    phone.get_by_role("heading", name="苦情・意見の記録").wait_for()
    assert axe_violations(phone) == []
    phone.get_by_role("button", name="記録する").click()
    phone.get_by_text("区分を選んでください。").first.wait_for()
    assert axe_violations(phone) == []
    phone.get_by_label("予約が面倒").check()
    phone.get_by_label("電話", exact=True).check()
    phone.get_by_label("内容").fill("毎回予約するのが手間")
    phone.get_by_role("button", name="記録する").click()
    phone.get_by_text("「予約が面倒」を記録しました").wait_for()
    assert axe_violations(phone) == []
    complaint = Complaint.objects.get()
    assert (complaint.category.name, complaint.channel, complaint.text) == (
        "予約が面倒",
        "phone",
        "毎回予約するのが手間",
    )
