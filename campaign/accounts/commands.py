"""The `campaign user` commands: create a user, disable one."""

from __future__ import annotations

import getpass
import sys

import click
from flask import Flask
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from campaign.accounts import service, staff_accounts
from campaign.accounts.models import Role
from campaign.cli import TranslatedGroup, TranslatedOption
from campaign.extensions import db

user_commands = TranslatedGroup("user", help=_l("Manage the accounts of organizers, staff and admins."))


@user_commands.command(
    "create", help=_l("Create a user; the password comes from standard input (--password-stdin) or a prompt.")
)
@click.argument("email")
@click.option(
    "--role",
    type=click.Choice([role.value for role in Role]),
    required=True,
    cls=TranslatedOption,
    help=_l("The user's role."),
)
@click.option(
    "--name", default="", cls=TranslatedOption, help=_l("The name shown to others (default: from the email).")
)
@click.option(
    "--password-stdin",
    is_flag=True,
    cls=TranslatedOption,
    help=_l("Read the password from the first line of standard input."),
)
def create_user_command(email: str, role: str, name: str, password_stdin: bool) -> None:
    """Create a user; the password comes from stdin (--password-stdin) or a prompt."""
    if password_stdin:
        password = sys.stdin.readline().rstrip("\r\n")
    else:
        password = click.prompt(_("Password"), hide_input=True, confirmation_prompt=True)
    try:
        user = service.create_user(email, password, Role(role), name)
    except service.AccountError as problem:
        db.session.rollback()
        raise click.ClickException(str(problem)) from None
    db.session.commit()
    click.echo(_("Created %(role)s %(email)s.", role=user.role, email=user.email))


@user_commands.command(
    "disable",
    help=_l("Stop a user from signing in, end their sessions and revoke their API tokens; audited."),
)
@click.argument("email")
def disable_user_command(email: str) -> None:
    """Stop a user from signing in, end their sessions and revoke their API tokens; audited."""
    user = service.user_by_email(email)
    if user is None:
        raise click.ClickException(_("No account has the address %(email)s.", email=email))
    actor = f"cli:{getpass.getuser()}"
    staff_accounts.disable_user(user, actor=actor)
    db.session.commit()
    click.echo(
        _("Disabled %(email)s; their sessions are ended and their API tokens revoked.", email=user.email)
    )


def init_app(app: Flask) -> None:
    """Add the `user` commands to the app's CLI."""
    app.cli.add_command(user_commands)
