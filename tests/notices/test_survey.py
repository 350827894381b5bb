from __future__ import annotations

from datetime import date, time, timedelta

import pytest
from django.core import mail
from django.core.management import call_command
from django.utils import timezone

from notices import feedback
from notices.models import SurveyMail, SurveyResponse
from reservations.models import Reservation
from tests import factories

ANSWER = {
    "how_booked": "phone",
    "letter_helped": "yes",
    "wait": "under_5",
    "satisfaction": "4",
    "comment": "親切でした",
}


def booking(*, status: str = Reservation.Status.BOOKED, email: str = "", day: date = factories.TODAY, **extra):
    n = Reservation.objects.count()
    slot = factories.slot(day, time(9 + n // 2, 30 * (n % 2)))
    return Reservation.objects.create(
        number=f"N{n:07d}",
        token=Reservation.new_token(),
        procedure=slot.procedure,
        slot=slot,
        status=status,
        family_name="山田",
        given_name="花子",
        family_name_kana="ヤマダ",
        given_name_kana="ハナコ",
        phone="090-1111-2222",
        phone_digits="09011112222",
        email=email,
        **extra,
    )


def test_anyone_answers_the_survey_from_the_counter_card_without_logging_in(client, db) -> None:
    page = client.get("/survey/")
    assert page.status_code == 200 and page["Cache-Control"] == "no-store"
    response = client.post("/survey/", ANSWER)
    assert response["Location"] == "/survey/thanks/"
    answer = SurveyResponse.objects.get()
    assert (answer.source, answer.how_booked, answer.satisfaction, answer.comment, answer.token_digest) == (
        "card",
        "phone",
        4,
        "親切でした",
        None,
    )


def test_an_empty_answer_is_not_stored_and_says_why(client, db) -> None:
    response = client.post("/survey/", {})
    assert "どれか一つ以上の質問にお答えください。" in response.content.decode()
    assert not SurveyResponse.objects.exists()


def test_an_answer_outside_the_choices_is_refused_and_the_comment_kept(client, db) -> None:
    response = client.post("/survey/", {"satisfaction": "9", "comment": "長い待ち時間"})
    html = response.content.decode()
    assert "長い待ち時間" in html and "入力内容を確認してください" in html
    assert not SurveyResponse.objects.exists()


def test_anonymous_answers_are_rate_limited_per_address(client, db, settings) -> None:
    settings.SURVEY_RATE = "2/1h"
    assert client.post("/survey/", ANSWER).status_code == 302
    assert client.post("/survey/", ANSWER).status_code == 302
    assert client.post("/survey/", ANSWER).status_code == 429
    assert SurveyResponse.objects.count() == 2


def test_a_reservation_answers_once_and_the_answer_does_not_name_it(client, db) -> None:
    reservation = booking(status=Reservation.Status.DONE)
    url = f"/survey/r/{reservation.token}/"
    assert client.post(url, ANSWER)["Location"] == "/survey/thanks/"
    again = client.get(url)
    assert "すでにお答えいただいています" in again.content.decode()
    assert "すでにお答えいただいています" in client.post(url, ANSWER).content.decode()
    answer = SurveyResponse.objects.get()
    assert answer.source == "done"
    assert reservation.token not in answer.token_digest and reservation.number not in str(answer.__dict__)


def test_two_answers_for_one_reservation_at_the_same_moment_leave_one(db) -> None:
    reservation = booking()
    feedback.survey_answer(source="done", token=reservation.token, satisfaction=5)
    with pytest.raises(Exception, match="すでにお答えいただいています"):
        feedback.survey_answer(source="email", token=reservation.token, satisfaction=1)
    assert SurveyResponse.objects.count() == 1


def test_the_email_link_is_counted_as_from_the_email(client, db) -> None:
    reservation = booking(status=Reservation.Status.DONE)
    client.post(f"/survey/r/{reservation.token}/?from=email", ANSWER)
    assert SurveyResponse.objects.get().source == "email"


def test_a_made_up_or_removed_reservation_link_is_not_found(client, db) -> None:
    assert client.get("/survey/r/not-a-token/").status_code == 404
    gone = booking(anonymised_at=timezone.now())
    assert client.get(f"/survey/r/{gone.token}/").status_code == 404


def test_the_done_page_invites_to_the_survey(client, db) -> None:
    reservation = booking(status=Reservation.Status.DONE)
    html = client.get(f"/reservation/{reservation.token}/").content.decode()
    assert f"/survey/r/{reservation.token}/" in html


def test_the_survey_email_goes_once_after_a_visit_marked_done(db, frozen) -> None:
    now = timezone.now()
    done = booking(
        status=Reservation.Status.DONE, email="hanako@example.jp", status_changed_at=now - timedelta(hours=2)
    )
    booking(status=Reservation.Status.DONE, status_changed_at=now)  # no address
    booking(status=Reservation.Status.NO_SHOW, email="x@example.jp", status_changed_at=now)
    booking(status=Reservation.Status.DONE, email="old@example.jp", status_changed_at=now - timedelta(days=10))
    assert feedback.survey_mails_send(now=now) == 1
    (message,) = mail.outbox
    assert message.to == ["hanako@example.jp"]
    assert f"http://testserver/survey/r/{done.token}/?from=email" in message.body
    for word in ("福祉", "保護", "手当"):
        assert word not in message.subject + message.body
    assert feedback.survey_mails_send(now=now) == 0
    assert SurveyMail.objects.count() == 1


def test_a_survey_email_the_mail_server_refused_is_tried_again(db, frozen, monkeypatch) -> None:
    from django.core.mail.backends.locmem import EmailBackend

    now = timezone.now()
    booking(status=Reservation.Status.DONE, email="hanako@example.jp", status_changed_at=now)

    def refuse(self, messages):
        raise ConnectionRefusedError("smtp down")

    monkeypatch.setattr(EmailBackend, "send_messages", refuse)
    with pytest.raises(ConnectionRefusedError):
        feedback.survey_mails_send(now=now)
    assert not SurveyMail.objects.exists()
    monkeypatch.undo()
    assert feedback.survey_mails_send(now=now) == 1


def test_the_survey_email_can_be_switched_off(db, frozen, settings) -> None:
    settings.SURVEY_EMAIL_ENABLED = False
    booking(status=Reservation.Status.DONE, email="hanako@example.jp", status_changed_at=timezone.now())
    assert feedback.survey_mails_send() == 0 and not mail.outbox


def test_the_survey_email_is_scheduled(db) -> None:
    from django_q.models import Schedule

    call_command("setup_schedules", verbosity=0)
    assert Schedule.objects.get(name="notices-survey-mails").func == "notices.tasks.send_survey_mails"
