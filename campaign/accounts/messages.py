"""The emails about accounts, written by the worker when they are sent (owed by the user's id)."""

from __future__ import annotations

from flask import current_app, render_template
from flask_babel import gettext

from campaign.accounts import lockout, password_reset, staff_accounts
from campaign.accounts.models import User
from campaign.extensions import db
from campaign.links import absolute_url
from campaign.mail import service as mail
from campaign.mail.models import OutboxMessage


def _active_user(row: OutboxMessage) -> User | None:
    """The active user a row is owed to; None for a reset asked for an address no account has."""
    user = db.session.get(User, row.ref_id) if row.ref_id else None
    return user if user is not None and user.is_active else None


def _with_reset_link(row: OutboxMessage, subject: str, template: str) -> mail.Composed | None:
    """A message carrying a fresh link to choose a password (made now, so it lives its full time)."""
    user = _active_user(row)
    if user is None:
        return None
    return mail.Composed(
        recipient=mail.address(user.display_name, user.email),
        subject=subject,
        body=render_template(
            template,
            user=user,
            reset_url=absolute_url(
                "accounts.reset_password", token=password_reset.password_reset_token(user)
            ),
            max_age_minutes=current_app.config["PASSWORD_RESET_MAX_AGE"] // 60,
        ),
    )


def _password_reset(row: OutboxMessage) -> mail.Composed | None:
    """The link to choose a new password."""
    return _with_reset_link(row, gettext("Choose a new password"), "mail/account_password_reset.txt")


def _account_created(row: OutboxMessage) -> mail.Composed | None:
    """The welcome of an account staff made: choose a password to start."""
    return _with_reset_link(row, gettext("Your account on Campaigns"), "mail/account_created.txt")


def _sign_in_failures(row: OutboxMessage) -> mail.Composed | None:
    """The note to an account holder that someone keeps failing to sign in as them."""
    user = _active_user(row)
    if user is None:
        return None
    return mail.Composed(
        recipient=mail.address(user.display_name, user.email),
        subject=gettext("Failed attempts to sign in to your account"),
        body=render_template(
            "mail/account_sign_in_failures.txt",
            user=user,
            reset_url=absolute_url("accounts.forgot_password"),
            account_url=absolute_url("accounts.account"),
        ),
    )


# Mail about one's own account goes out even to an address whose owner stopped all other email.
mail.register_kind(password_reset.RESET_KIND, compose=_password_reset, despite_stop=mail.ALWAYS)
mail.register_kind(staff_accounts.WELCOME_KIND, compose=_account_created, despite_stop=mail.ALWAYS)
mail.register_kind(lockout.NOTICE_KIND, compose=_sign_in_failures, despite_stop=mail.ALWAYS)
