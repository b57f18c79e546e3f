"""The forms of accounts: sign in, second factor, passwords, organizations and invitations."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import HiddenField, PasswordField, SelectChoice, SelectField, StringField
from wtforms.validators import DataRequired, EqualTo, Length

from campaign.accounts.models import MemberRole, Role
from campaign.signing.forms import printable, strip
from campaign.validation import no_links, single_line


class LoginForm(FlaskForm):
    """Email and password."""

    email = StringField(
        "Email",
        filters=[strip],
        validators=[DataRequired("Please enter your email address."), Length(max=320), single_line],
    )
    password = PasswordField(
        "Password", validators=[DataRequired("Please enter your password."), Length(max=1024), single_line]
    )
    next = HiddenField()


class TwoFactorForm(FlaskForm):
    """A code from the authenticator app, or a recovery code."""

    code = StringField(
        "Code",
        filters=[strip],
        validators=[DataRequired("Please enter the code."), Length(max=40), single_line],
    )
    next = HiddenField()


class PasswordRequestForm(FlaskForm):
    """The address to send a password reset link to."""

    email = StringField(
        "Email",
        filters=[strip],
        validators=[DataRequired("Please enter your email address."), Length(max=320), single_line],
    )


class NewPasswordForm(FlaskForm):
    """A new password, typed twice."""

    password = PasswordField(
        "New password",
        validators=[DataRequired("Please choose a password."), Length(max=1024), single_line],
    )
    confirm = PasswordField(
        "New password again",
        validators=[
            DataRequired("Please type the password again."),
            EqualTo("password", "The passwords differ."),
        ],
    )


class NewAccountForm(NewPasswordForm):
    """What an invited person fills in to create their account."""

    display_name = StringField(
        "Your name",
        filters=[strip],
        validators=[DataRequired("Please enter your name."), Length(max=100), printable, no_links],
    )


class OrganizationForm(FlaskForm):
    """A new organization's name."""

    name = StringField(
        "Organization name",
        filters=[strip],
        validators=[DataRequired("Please enter a name."), Length(max=200), printable, no_links],
    )


class InvitationForm(FlaskForm):
    """Whom to invite into an organization, and as what."""

    email = StringField(
        "Email", filters=[strip], validators=[DataRequired("Please enter an email address."), Length(max=320)]
    )
    role = SelectField(
        "Role",
        choices=[
            SelectChoice(MemberRole.MEMBER.value, "Member"),
            SelectChoice(MemberRole.OWNER.value, "Owner"),
        ],
        default=MemberRole.MEMBER.value,
    )


class StaffUserForm(FlaskForm):
    """A new account, made by staff: its owner chooses the password from an emailed link."""

    email = StringField(
        "Email",
        filters=[strip],
        validators=[DataRequired("Please enter an email address."), Length(max=320), single_line],
    )
    display_name = StringField(
        "Name", filters=[strip], validators=[Length(max=100), printable, no_links]
    )
    role = SelectField(
        "Role",
        choices=[SelectChoice(role.value, role.value.title()) for role in Role],
        default=Role.ORGANIZER.value,
    )


class RoleForm(FlaskForm):
    """Another platform role for an account."""

    role = SelectField("Role", choices=[SelectChoice(role.value, role.value.title()) for role in Role])
