"""Thirty-two identical sign requests at once still make one signature (PostgreSQL)."""

import threading

from sqlalchemy import func, select

from campaign.mail.models import OutboxMessage
from campaign.signing.models import Person, Signature
from tests.support.forms import csrf_token

REQUESTS = 32


def test_32_identical_requests_at_once_make_one_signature(app, db, make_campaign):
    make_campaign(slug="surge")
    browsers = [app.test_client() for _ in range(REQUESTS)]
    forms = []
    for browser in browsers:
        token = csrf_token(browser.get("/campaigns/surge").get_data(as_text=True))
        forms.append(
            {
                "csrf_token": token,
                "given_name": "Anahit",
                "family_name": "Petrosyan",
                "email": "anahit.p@gmail.com",
                "country": "AM",
            }
        )
    start = threading.Barrier(REQUESTS)
    answers: list = [None] * REQUESTS

    def post(index: int) -> None:
        start.wait()
        response = browsers[index].post("/campaigns/surge/sign", data=forms[index])
        answers[index] = (response.status_code, response.headers.get("Location"), response.get_data())

    threads = [threading.Thread(target=post, args=(i,)) for i in range(REQUESTS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    assert len(set(answers)) == 1
    assert answers[0][0] == 303
    count = lambda model: db.session.execute(select(func.count()).select_from(model)).scalar_one()  # noqa: E731
    assert count(Signature) == 1
    assert count(Person) == 1
    # The first confirmation plus at most one repeat link within the hour.
    assert 1 <= count(OutboxMessage) <= 2
