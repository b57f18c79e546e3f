"""`campaign keys`: an organization's own key seals its signers from then on, with no worker restart;
a process without the private keys cannot read anyone."""

import os
import subprocess
import sys
from pathlib import Path

from sqlalchemy import select

from campaign.accounts.models import Role
from campaign.accounts.organizations import create_organization
from campaign.accounts.service import create_user
from campaign.api.tokens import create_token
from campaign.privacy import keys, vault
from campaign.privacy.models import SealingKey
from campaign.signing.models import Signature
from tests.support.accounts import PASSWORD
from tests.support.signers import add_signature

CAMPAIGN = str(Path(sys.executable).parent / "campaign")


def organization_of_owner(db, name):
    owner = create_user("owner@example.org", PASSWORD, Role.ORGANIZER)
    db.session.flush()
    organization = create_organization(name, owner)
    db.session.commit()
    return organization


def staff_token(db):
    staff = create_user("staff@example.org", PASSWORD, Role.STAFF)
    db.session.flush()
    _token, secret = create_token(staff, "tests", actor="cli:tests")
    db.session.commit()
    return {"OSDI-API-Token": secret}


def run(*args):
    return subprocess.run(
        [CAMPAIGN, "keys", *args],
        capture_output=True,
        text=True,
        env=dict(os.environ),
        timeout=60,
        check=False,
    )


def test_a_rotated_organization_key_seals_its_new_signers_and_a_running_worker_opens_them(
    db, make_campaign, sign, celery_worker, mailbox
):
    organization = organization_of_owner(db, "Hayastan Aid")
    campaign = make_campaign(slug="aid", organization_id=organization.id)
    # The worker has read its keys folder already (it opened this one's seal).
    make_campaign(slug="platform")
    sign("platform", email="before.the.rotation@example.org")
    mailbox.wait_for("before.the.rotation@example.org")

    rotated = run("rotate", "--organization", organization.slug)
    assert rotated.returncode == 0, rotated.stderr
    key_id = db.session.execute(
        select(SealingKey.id).where(SealingKey.organization_id == organization.id)
    ).scalar_one()
    keys.forget()  # this process learns of the key as a web process would, within a minute
    sign("aid", email="sealed.to.the.org@example.org", given_name="Nare")

    signature = db.session.execute(select(Signature).where(Signature.campaign_id == campaign.id)).scalar_one()
    assert vault.key_id_of(signature.sealed) == key_id
    # The worker started before the key existed, and still writes the confirmation.
    [message] = mailbox.wait_for("sealed.to.the.org@example.org")
    # Its address came out of the seal (the name is not shown until the signature is confirmed).
    assert str(message["To"]) == "sealed.to.the.org@example.org"
    assert "/confirm/" in message.get_body(("plain",)).get_content()
    listed = run("list")
    assert f"{key_id}  organization {organization.id}" in listed.stdout and "held here" in listed.stdout


def test_rotating_for_an_unknown_organization_is_a_clear_error(db):
    result = run("rotate", "--organization", "no-such-org")
    assert result.returncode != 0 and "No organization 'no-such-org'" in result.stderr


def test_init_makes_nothing_twice(db):
    result = run("init")
    assert result.returncode == 0 and "nothing made" in result.stdout


def test_a_process_without_the_private_keys_serves_no_names(app, db, tmp_path, make_campaign):
    from campaign import create_app

    headers = staff_token(db)
    campaign = make_campaign()
    add_signature(db, campaign.id, "held@example.org")
    web_tier = create_app({"TESTING": True, "KEYS_PATH": str(tmp_path / "no-keys")})
    keys.forget()
    vault.forget()
    try:
        answer = web_tier.test_client().get("/api/v1/people", headers=headers)
        assert answer.status_code == 503
        assert "API service" in answer.json["error"]
        assert b"held@example.org" not in answer.data
    finally:
        keys.forget()
        vault.forget()
    # The same read where the keys are held.
    held = app.test_client().get("/api/v1/people", headers=headers)
    assert "held@example.org" in held.get_data(as_text=True)
