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


def test_requests_for_one_address_on_many_campaigns_at_once_owe_it_only_its_bound(app, db, make_campaign):
    # An attacker signs a victim's address on sixteen campaigns at the same moment, from sixteen
    # ranges (so that no flood rule holds them): the sign statement takes the address's mail
    # lock itself, and the requests still owe the address no more than the hour's bound.
    slugs = [make_campaign(slug=f"many-{n}").slug for n in range(16)]
    victim = "victim.at.once@gmail.com"
    start = threading.Barrier(len(slugs))
    answers: list = [None] * len(slugs)

    def post(index: int) -> None:
        browser = app.test_client()
        environ = {"REMOTE_ADDR": f"198.51.{index}.7"}
        form = {"given_name": "Anahit", "family_name": "Petrosyan", "email": victim, "country": "AM"}
        start.wait()
        response = browser.post(f"/campaigns/{slugs[index]}/sign", data=form, environ_base=environ)
        answers[index] = response.status_code

    threads = [threading.Thread(target=post, args=(i,)) for i in range(len(slugs))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    assert answers == [303] * len(slugs)
    count = lambda model: db.session.execute(select(func.count()).select_from(model)).scalar_one()  # noqa: E731
    assert count(Signature) == len(slugs)
    assert count(Person) == 1
    assert count(OutboxMessage) == app.config["MAIL_PER_ADDRESS_PER_HOUR"]
