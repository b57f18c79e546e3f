"""At rest: a dump of the database holds no supporter's email, name, postal code, comment or words."""

import re
import subprocess

from sqlalchemy import select

from campaign.signing.models import Signature
from tests.support.forms import csrf_token
from tests.support.outbox import bodies

SECRETS = [
    "zabel.yesayan.dump@example.org",
    "Zabelle",
    "Yesayanian",
    "K7Q2X9",
    "my grandmother's village",
    "remember Shushi",
]


def test_a_pg_dump_after_signing_and_confirming_holds_nothing_in_clear(app, db, client, make_campaign, sign):
    make_campaign(slug="recognize")
    sign(
        "recognize",
        email=SECRETS[0],
        given_name=SECRETS[1],
        family_name=SECRETS[2],
        postal_code=SECRETS[3],
        comment=SECRETS[4],
        email_opt_in="y",
    )
    path = re.search(r"http://localhost(/confirm/\S+)", bodies(db, "confirmation")[0]).group(1)
    page = client.get(path)
    client.post(path, data={"csrf_token": csrf_token(page.get_data(as_text=True))})
    # The signer's data is there, for whoever holds the key.
    assert db.session.execute(select(Signature)).scalar_one().personal.comment == SECRETS[4]

    url = app.config["SQLALCHEMY_DATABASE_URI"].replace("postgresql+psycopg://", "postgresql://")
    dump = subprocess.run(["pg_dump", "--data-only", url], capture_output=True, check=True, text=True).stdout

    assert "COPY public.signatures" in dump
    for secret in [*SECRETS, SECRETS[0].lower(), "zabelyesayandump"]:
        assert secret.lower() not in dump.lower(), secret
