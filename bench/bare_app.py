"""The baselines: a bare Flask hello world, a bare Flask app doing one INSERT through psycopg, and
the same INSERT followed by one email sent with raw smtplib (the end-to-end sign's ceiling), and
the same INSERT owing that email in an outbox that `bench/bare_outbox.py` sends (the outbox
baseline: the least that keeps the platform's promises on mail).

Served by `gunicorn bench.bare_app:app` with the same settings as the platform.
The table has the columns of `signatures` (and its primary key and unique key),
in the run's own bench database, so the INSERT costs what one signature row costs.
"""

from __future__ import annotations

import hashlib
import os
import smtplib
import threading
from datetime import UTC, datetime
from email.message import EmailMessage
from email.utils import formatdate, make_msgid
from typing import Any

import psycopg
from flask import Flask, redirect, request
from werkzeug.wrappers import Response

SCHEMA = """
CREATE SEQUENCE IF NOT EXISTS bare_person_seq;
CREATE TABLE IF NOT EXISTS bare_signatures (
    id serial PRIMARY KEY,
    campaign_id integer NOT NULL,
    person_id integer NOT NULL DEFAULT nextval('bare_person_seq'),
    status varchar(16) NOT NULL,
    given_name varchar(100) NOT NULL,
    family_name varchar(100) NOT NULL,
    country varchar(2) NOT NULL,
    postal_code varchar(16) NOT NULL,
    region varchar(8),
    comment text,
    is_comment_public boolean NOT NULL,
    message text,
    has_email_opt_in boolean NOT NULL,
    consent_version varchar(32) NOT NULL,
    source varchar(64),
    client_hash varchar(64) NOT NULL,
    is_counted boolean NOT NULL,
    created_at timestamp NOT NULL,
    validated_at timestamp,
    invalidated_at timestamp,
    UNIQUE (campaign_id, person_id)
);
CREATE TABLE IF NOT EXISTS bare_outbox (
    id bigserial PRIMARY KEY,
    signature_id integer NOT NULL,
    recipient text NOT NULL,
    status varchar(16) NOT NULL,
    created_at timestamp NOT NULL,
    sent_at timestamp
);
CREATE INDEX IF NOT EXISTS bare_outbox_owed ON bare_outbox (id) WHERE status = 'pending';
"""

INSERT = """
INSERT INTO bare_signatures (campaign_id, status, given_name, family_name, country, postal_code,
    is_comment_public, has_email_opt_in, consent_version, client_hash, is_counted, created_at)
VALUES (1, 'pending', %s, %s, %s, %s, false, false, 'bench', %s, false, %s)
"""
# The same INSERT with its confirmation owed in the same statement (so in one transaction).
INSERT_AND_OWE = f"""
WITH signed AS ({INSERT.strip()} RETURNING id)
INSERT INTO bare_outbox (signature_id, recipient, status, created_at)
SELECT id, %s, 'pending', now() AT TIME ZONE 'utc' FROM signed
"""

app = Flask(__name__)
_local = threading.local()
# The raw smtplib half of the end-to-end baseline: the bench's SMTP sink.
SMTP_HOST, _, SMTP_PORT = (
    os.environ.get("SMTP_URL", "smtp://127.0.0.1:25").removeprefix("smtp://").partition(":")
)
MAIL_BODY = (
    "Hello,\n\nPlease confirm your signature by opening this link and pressing the button:\n\n"
    "http://127.0.0.1:8000/confirm/MTIzNDU2.aWQxMjM0NTY3ODkw.c2lnbmF0dXJlLWZvci10aGUtYmVuY2htYXJr\n"
)


def connection() -> psycopg.Connection[Any]:
    """This thread's database connection, opened on first use."""
    existing: psycopg.Connection[Any] | None = getattr(_local, "connection", None)
    if existing is None or existing.closed:
        existing = psycopg.connect(os.environ["BARE_DATABASE_URL"], autocommit=True)
        _local.connection = existing
    return existing


def smtp() -> smtplib.SMTP:
    """This thread's SMTP connection to the sink, opened on first use."""
    existing: smtplib.SMTP | None = getattr(_local, "smtp", None)
    if existing is None:
        existing = smtp_connection()
        _local.smtp = existing
    return existing


def smtp_connection() -> smtplib.SMTP:
    """A new SMTP connection to the sink."""
    return smtplib.SMTP(SMTP_HOST, int(SMTP_PORT or 25), timeout=10)


def confirmation_email(recipient: str) -> EmailMessage:
    """The confirmation email the baselines send, composed the usual way."""
    message = EmailMessage()
    message["From"] = "Campaigns <campaigns@example.org>"
    message["To"] = recipient
    message["Subject"] = "Please confirm your signature"
    message["Date"] = formatdate(localtime=False)
    message["Message-ID"] = make_msgid(domain="example.org")
    message.set_content(MAIL_BODY)
    return message


@app.get("/")
def hello() -> str:
    """Hello world: the ceiling of a page view."""
    return "Hello, World!"


@app.post("/sign")
def sign() -> Response:
    """One INSERT of the posted form: the ceiling of a sign request."""
    connection().execute(INSERT, _signature_values())
    return redirect("/thanks", code=303)


def _signature_values() -> tuple[Any, ...]:
    """The INSERT's parameters from the posted form."""
    form = request.form
    client_hash = hashlib.sha256((request.remote_addr or "").encode()).hexdigest()
    return (
        form.get("given_name", ""),
        form.get("family_name", ""),
        form.get("country", ""),
        form.get("postal_code", ""),
        client_hash,
        datetime.now(UTC).replace(tzinfo=None),
    )


@app.post("/sign-and-mail")
def sign_and_mail() -> Response:
    """The INSERT, then one email to the posted address through raw smtplib: the end-to-end ceiling."""
    answer = sign()
    try:
        smtp().send_message(confirmation_email(request.form.get("email", "")))
    except (OSError, smtplib.SMTPException):
        _local.smtp = None  # a dropped connection: a new one for the next request
        raise
    return answer


@app.post("/sign-and-owe")
def sign_and_owe() -> Response:
    """The INSERT and its confirmation owed, in one statement; `bench/bare_outbox.py` sends it.

    The outbox baseline: what the platform promises of mail (nothing answered is
    left unmailed, a crash resends at most one message) at the least cost.
    """
    connection().execute(INSERT_AND_OWE, (*_signature_values(), request.form.get("email", "")))
    return redirect("/thanks", code=303)
