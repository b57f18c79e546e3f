"""The doctor's SMTP check: the server greets us, over verified TLS where the URL asks for it."""

from __future__ import annotations

import smtplib
import ssl
from urllib.parse import unquote, urlsplit

from flask import current_app
from flask_babel import gettext as _

from campaign.doctor.findings import Finding, is_production

SMTP_TIMEOUT_SECONDS = 10.0


def check_smtp() -> list[Finding]:
    """The SMTP server greets us, over verified TLS where the URL asks for it, and answers NOOP."""
    url = current_app.config["SMTP_URL"]
    if not url:
        return [
            Finding(
                "smtp",
                not is_production(),
                _("No SMTP_URL: mail is kept on disk and shown at /dev/mail, and never reaches anyone.")
                if is_production()
                else _("No SMTP_URL: mail is kept on disk and shown at /dev/mail (right for a laptop)."),
            )
        ]
    parts = urlsplit(url)
    host = parts.hostname or "localhost"
    port = parts.port or (465 if parts.scheme == "smtps" else 25)
    try:
        _smtp_noop(parts.scheme, host, port, parts.username, parts.password)
    except ssl.SSLCertVerificationError as error:
        sentence = _(
            "The certificate of %(host)s could not be verified (%(reason)s);"
            " if a private CA signed it, name its file in SMTP_CA_FILE.",
            host=host,
            reason=error.verify_message,
        )
    except smtplib.SMTPAuthenticationError:
        sentence = _("%(host)s refused the user name and password in SMTP_URL.", host=host)
    except smtplib.SMTPNotSupportedError:
        sentence = _(
            "%(host)s:%(port)s does not offer STARTTLS, which smtp+starttls:// asks for.",
            host=host,
            port=port,
        )
    except (OSError, smtplib.SMTPException) as error:
        sentence = _(
            "Cannot talk to the SMTP server at %(host)s:%(port)s (%(error)s).",
            host=host,
            port=port,
            error=": ".join((type(error).__name__, str(error))),
        )
    else:
        if parts.scheme in ("smtps", "smtp+starttls"):
            sentence = _(
                "The SMTP server at %(host)s:%(port)s answers over verified TLS.", host=host, port=port
            )
        else:
            sentence = _("The SMTP server at %(host)s:%(port)s answers.", host=host, port=port)
        return [Finding("smtp", True, sentence)]
    return [Finding("smtp", False, sentence)]


def _smtp_noop(scheme: str, host: str, port: int, username: str | None, password: str | None) -> None:
    """Open a session as the worker would (TLS checked against SMTP_CA_FILE or the system's CAs); NOOP."""
    context = ssl.create_default_context(cafile=current_app.config["SMTP_CA_FILE"])
    connection: smtplib.SMTP
    if scheme == "smtps":
        connection = smtplib.SMTP_SSL(host, port, timeout=SMTP_TIMEOUT_SECONDS, context=context)
    else:
        connection = smtplib.SMTP(host, port, timeout=SMTP_TIMEOUT_SECONDS)
    try:
        if scheme == "smtp+starttls":
            connection.starttls(context=context)
        if username and password:
            connection.login(unquote(username), unquote(password))
        code, reply = connection.noop()
        if code != 250:
            raise smtplib.SMTPResponseException(code, reply)
    finally:
        connection.close()
