"""`/healthz` says the process is alive; `/readyz` says whether it can serve; a database away means 503."""

import pytest

from tests.support.workers import free_port


@pytest.fixture
def unreachable_database(app):
    """The app on a database server that is not there (a port nobody listens on)."""
    from campaign import create_app

    return create_app(
        {
            "TESTING": True,
            "SQLALCHEMY_DATABASE_URI": f"postgresql+psycopg://postgres@127.0.0.1:{free_port()}/x",
        }
    )


def test_ready_when_the_database_and_the_broker_answer(client):
    response = client.get("/readyz")
    assert (response.status_code, response.get_data(as_text=True)) == (200, "ready\n")
    assert response.headers["Cache-Control"] == "no-store"


def test_not_ready_when_the_broker_does_not_answer(app, db):
    from campaign import create_app

    away = create_app({"TESTING": True, "REDIS_URL": f"redis://127.0.0.1:{free_port()}/0"})
    response = away.test_client().get("/readyz")
    assert response.status_code == 503
    assert response.get_data(as_text=True).startswith("the broker does not answer")
    # Alive all the same: a restart would not bring the broker back.
    assert away.test_client().get("/healthz").status_code == 200


def test_alive_but_not_ready_while_the_database_is_away(unreachable_database):
    browser = unreachable_database.test_client()
    assert browser.get("/healthz").status_code == 200
    ready = browser.get("/readyz")
    assert ready.status_code == 503 and "the database does not answer" in ready.get_data(as_text=True)


def test_pages_answer_a_clear_503_while_the_database_is_away(unreachable_database):
    unreachable_database.config["PROPAGATE_EXCEPTIONS"] = False
    response = unreachable_database.test_client().get("/campaigns/recognize-artsakh")
    assert response.status_code == 503
    assert "briefly unavailable" in response.get_data(as_text=True)
    assert response.headers["Retry-After"] == "30"


def test_the_api_answers_a_json_503_while_the_database_is_away(unreachable_database):
    unreachable_database.config["PROPAGATE_EXCEPTIONS"] = False
    from campaign.api.tokens import PREFIX

    response = unreachable_database.test_client().get(
        "/api/v1/petitions", headers={"OSDI-API-Token": PREFIX + "a-token-looked-up-in-the-database"}
    )
    assert response.status_code == 503
    assert "briefly unavailable" in response.json["error"]


def test_a_pooled_connection_the_server_ended_is_replaced_before_a_request_uses_it(app, db):
    # An administrator's terminate, a restart or a failover ends the pooled sessions; the next
    # request must get a working connection, not an error (only connections in doubt are pinged).
    import time

    import psycopg
    from sqlalchemy import text

    from campaign import create_app
    from campaign.extensions import db as database
    from tests.support.run import POSTGRES_ADMIN_URL

    site = create_app({"TESTING": True})
    with site.app_context():
        ended = database.session.execute(text("SELECT pg_backend_pid()")).scalar_one()
    with psycopg.connect(POSTGRES_ADMIN_URL, autocommit=True) as admin:
        assert admin.execute("SELECT pg_terminate_backend(%s)", [ended]).fetchone() == (True,)
        deadline = time.monotonic() + 10
        while admin.execute("SELECT 1 FROM pg_stat_activity WHERE pid = %s", [ended]).fetchone():
            assert time.monotonic() < deadline
            time.sleep(0.05)
    response = site.test_client().get("/readyz")
    assert response.status_code == 200
    with site.app_context():
        assert database.session.execute(text("SELECT pg_backend_pid()")).scalar_one() != ended
