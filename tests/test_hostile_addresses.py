"""What a client writes into an address (path or query string) gets a 4xx, never a 500, and the
rate limiter keeps no client address where it logs or stores its keys.

Found by a hostile-input audit: digits that are not ASCII ("²" passes str.isdigit(), int() refuses
it), a NUL (PostgreSQL cannot even look one up), ids past PostgreSQL's integer and page numbers
past its bigint each reached the database and answered 500; Flask-Limiter logged the client's
address with every limit exceeded.
"""

from __future__ import annotations

import logging
from typing import Any

import pytest
from sqlalchemy import select, text

from campaign.signing.models import Signature
from campaign.signing.supporters import my_token
from tests.support.forms import csrf_token, post_form

PAST_INTEGER = 2**31  # one more than PostgreSQL's integer holds
SUPERSCRIPT_TWO = "%C2%B2"  # "²"
CLIENT = "198.51.100.23"


@pytest.fixture
def campaign(make_campaign: Any, team: Any) -> Any:
    """An open petition of the team's organization."""
    return make_campaign(organization_id=team.organization.id)


@pytest.mark.parametrize(
    ("query", "name"),
    [
        (f"entries?start={SUPERSCRIPT_TWO}&end=1", "start"),
        (f"consistency?first={SUPERSCRIPT_TWO}&second=1", "first"),
    ],
)
def test_a_ledger_number_in_another_script_is_refused_with_a_message(client, campaign, query, name):
    answer = client.get(f"/campaigns/{campaign.slug}/ledger/{query}")

    assert answer.status_code == 400
    assert f"{name} must be a whole number, 0 or more." in answer.get_data(as_text=True)


@pytest.mark.parametrize(
    "path", ["/api/v1/petitions?page=", "/api/v1/petitions?per_page=", "/api/v1/tags?page="]
)
def test_api_paging_in_another_script_is_a_400(client, api_user, path):
    _user, headers = api_user("ani-api@example.org")

    answer = client.get(path + SUPERSCRIPT_TWO, headers=headers)

    assert answer.status_code == 400
    assert "must be a whole number of at least 1" in answer.get_json()["error"]


def test_an_old_style_api_id_in_another_script_is_not_found(client, api_user):
    _user, headers = api_user("ani-api@example.org")

    answer = client.get(f"/api/v1/petitions/petition-{SUPERSCRIPT_TWO}", headers=headers)

    assert answer.status_code == 404
    assert answer.get_json() == {"error": "no such resource"}


def test_staff_coming_with_a_campaign_id_in_another_script_get_the_empty_form(team):
    answer = team.staff.browser.get(f"/staff/moderation/fraud/invalidations?campaign_id={SUPERSCRIPT_TWO}")

    assert answer.status_code == 200
    assert '<option selected value="0">Any campaign' in answer.get_data(as_text=True)


@pytest.mark.parametrize(
    "path",
    [
        "/campaigns/%00",
        "/campaigns/%00/count.json",
        "/campaigns/%00/share.png",
        "/campaigns/%00/ledger",
        "/campaigns/%00/embed",
        "/campaigns/{slug}/thanks?receipt=%00",
        "/campaigns/{slug}/receipts/%00",
    ],
)
def test_a_nul_in_a_public_address_is_a_400(client, campaign, path):
    answer = client.get(path.format(slug=campaign.slug))

    assert answer.status_code == 400
    assert "Something in the request is not right" in answer.get_data(as_text=True)


def test_a_sign_posted_to_an_address_with_a_nul_stores_nothing(client, campaign, db):
    answer = client.post(
        "/campaigns/%00/sign",
        data={"given_name": "Anahit", "family_name": "P", "email": "anahit@example.org", "country": "AM"},
    )

    assert answer.status_code == 400
    assert db.session.scalars(select(Signature)).all() == []


def test_staff_searching_accounts_for_a_nul_get_a_400(team):
    assert team.staff.browser.get("/staff/users?q=%00").status_code == 400


@pytest.mark.parametrize(
    ("who", "path"),
    [
        ("organizer", f"/organize/campaigns/{PAST_INTEGER}"),
        ("organizer", f"/organizations/{PAST_INTEGER}"),
        ("staff", f"/staff/users/{PAST_INTEGER}"),
        ("staff", f"/staff/exports/{PAST_INTEGER}/download"),
    ],
)
def test_an_id_past_an_integer_is_not_found(team, who, path):
    assert getattr(team, who).browser.get(path).status_code == 404


def test_the_largest_integer_id_still_reaches_its_view(team):
    # The view runs (and finds no such campaign): the bound cuts nothing an integer column can hold.
    assert team.organizer.browser.get(f"/organize/campaigns/{2**31 - 1}").status_code == 404


def test_withdrawing_a_signature_id_past_an_integer_is_not_found(client, campaign, sign, observer):
    assert sign(campaign.slug).status_code == 303
    with observer.app_context():
        from campaign.extensions import db

        person_id = db.session.scalars(select(Signature.person_id)).one()
        token = my_token(person_id)
    page = client.get(f"/my/{token}")

    answer = client.post(
        f"/my/{token}/withdraw/{PAST_INTEGER}", data={"csrf_token": csrf_token(page.get_data(as_text=True))}
    )

    assert answer.status_code == 404


def test_a_comments_page_far_past_the_last_shows_the_last_allowed(team, campaign):
    answer = team.organizer.browser.get(f"/organize/campaigns/{campaign.id}/comments?page={2**63 - 1}")

    assert answer.status_code == 200


def test_a_value_the_database_refuses_is_a_400_and_writes_nothing(database):
    """The safety net for a view that lets such a value through unchecked: 400, and rolled back."""
    from campaign import create_app
    from campaign.extensions import db

    failing = create_app({"TESTING": True, "PROPAGATE_EXCEPTIONS": False})

    @failing.get("/tests/unchecked/<number>")
    def unchecked(number: str) -> str:
        db.session.execute(text("CREATE TEMPORARY TABLE written (n int)"))
        db.session.execute(text("INSERT INTO written VALUES (1)"))
        db.session.execute(text("SELECT CAST(:number AS integer)"), {"number": number})
        return "unreachable"

    answer = failing.test_client().get(f"/tests/unchecked/{PAST_INTEGER}")

    assert answer.status_code == 400
    assert "Something in the request is not right" in answer.get_data(as_text=True)
    with failing.app_context():
        # The temporary table went with the rolled-back transaction.
        assert db.session.execute(text("SELECT to_regclass('pg_temp.written')")).scalar() is None


def test_the_rate_limiter_logs_and_keeps_no_client_address(client, app, redis_client, caplog):
    caplog.set_level(logging.INFO, logger="flask-limiter")
    client.environ_base["REMOTE_ADDR"] = CLIENT
    answers = [
        post_form(client, "/password/forgot", email=f"nobody{n}@example.org").status_code for n in range(11)
    ]

    assert answers[-1] == 429
    assert "ratelimit" in caplog.text  # the line that named the address is still written
    assert CLIENT not in caplog.text
    prefix = app.config["RATELIMIT_STORAGE_OPTIONS"]["key_prefix"]
    keys = [key.decode() for key in redis_client.scan_iter(f"{prefix}*")]
    assert keys and not [key for key in keys if CLIENT in key]
