"""The `campaign user` commands, as the contract names them."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from sqlalchemy import select

from campaign.accounts.models import Role, User
from tests.support.accounts import PASSWORD, log_in

CAMPAIGN = str(Path(sys.executable).parent / "campaign")


def test_campaign_user_create_reads_the_password_from_stdin(db, app, client):
    result = subprocess.run(
        [CAMPAIGN, "user", "create", "Ani@Example.org", "--role", "organizer", "--password-stdin"],
        input=PASSWORD + "\n",
        capture_output=True,
        text=True,
        env=dict(os.environ),
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    user = db.session.execute(select(User)).scalar_one()
    assert user.role == Role.ORGANIZER and user.email == "Ani@example.org"
    assert log_in(client, "ani@example.org").status_code == 303


def test_each_role_can_be_created(db, app):
    runner = app.test_cli_runner()
    for role in ("admin", "staff", "organizer"):
        result = runner.invoke(
            args=["user", "create", f"{role}@example.org", "--role", role, "--password-stdin"],
            input=PASSWORD + "\n",
        )
        assert result.exit_code == 0, result.output
    roles = db.session.execute(select(User.role).order_by(User.id)).scalars().all()
    assert roles == [Role.ADMIN, Role.STAFF, Role.ORGANIZER]


def test_a_weak_password_is_refused(db, app):
    result = app.test_cli_runner().invoke(
        args=["user", "create", "ani@example.org", "--role", "staff", "--password-stdin"], input="secret\n"
    )
    assert result.exit_code != 0
    assert "at least 12 characters" in result.output
    assert db.session.execute(select(User)).first() is None


def test_a_second_account_with_the_same_address_is_refused(db, app):
    runner = app.test_cli_runner()
    args = ["user", "create", "ani@example.org", "--role", "organizer", "--password-stdin"]
    assert runner.invoke(args=args, input=PASSWORD + "\n").exit_code == 0
    again = runner.invoke(args=[*args[:2], "ANI@example.org", *args[3:]], input=PASSWORD + "\n")
    assert again.exit_code != 0
    assert "exists already" in again.output


def test_an_unknown_role_or_bad_address_is_refused(db, app):
    runner = app.test_cli_runner()
    wrong_role = runner.invoke(
        args=["user", "create", "ani@example.org", "--role", "root", "--password-stdin"],
        input=PASSWORD + "\n",
    )
    assert wrong_role.exit_code == 2
    bad_address = runner.invoke(
        args=["user", "create", "not-an-address", "--role", "staff", "--password-stdin"],
        input=PASSWORD + "\n",
    )
    assert bad_address.exit_code == 1
    assert "Please check the email address" in bad_address.output


def test_user_disable_ends_the_session_and_stops_sign_in(db, app, client, make_user):
    make_user("ani@example.org")
    log_in(client, "ani@example.org")
    assert client.get("/account").status_code == 200

    result = app.test_cli_runner().invoke(args=["user", "disable", "ani@example.org"])
    assert result.exit_code == 0, result.output

    assert client.get("/account").status_code == 302
    assert log_in(client, "ani@example.org").status_code == 401
    unknown = app.test_cli_runner().invoke(args=["user", "disable", "nobody@example.org"])
    assert unknown.exit_code == 1
