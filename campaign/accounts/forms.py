"""The forms of accounts: sign in, second factor, passwords, organizations and invitations."""

from __future__ import annotations

from flask_babel import LazyString, lazy_gettext
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from wtforms import HiddenField, PasswordField, SelectChoice, SelectField, StringField
from wtforms.validators import DataRequired, EqualTo, Length

from campaign import labels
from campaign.accounts.models import MemberRole, Role
from campaign.signing.forms import strip
from campaign.validation import no_links, single_line

# How each platform role is named in the role pickers (and on every page: campaign.labels).
ROLE_LABELS = labels.ROLES


def _email_field(required: LazyString) -> StringField:
    """An email address: trimmed, one line of at most 320 characters; `required` says it is missing."""
    return StringField(
        lazy_gettext("Email"),
        filters=[strip],
        validators=[DataRequired(required), Length(max=320), single_line],
    )


def _password_field(label: LazyString, required: LazyString) -> PasswordField:
    """A password: one line of at most 1024 characters; `required` says it is missing."""
    return PasswordField(label, validators=[DataRequired(required), Length(max=1024), single_line])


def _name_field(label: LazyString, required: LazyString, max_length: int) -> StringField:
    """A name shown to others: trimmed, one line, no links; `required` says it is missing."""
    return StringField(
        label,
        filters=[strip],
        validators=[DataRequired(required), Length(max=max_length), single_line, no_links],
    )


def _role_field(default: str | None = None) -> SelectField:
    """A pick of one platform role."""
    choices = [SelectChoice(role.value, ROLE_LABELS[role]) for role in Role]
    return SelectField(lazy_gettext("Role"), choices=choices, default=default)


class LoginForm(FlaskForm):
    """Email and password."""

    email = _email_field(lazy_gettext("Please enter your email address."))
    password = _password_field(lazy_gettext("Password"), lazy_gettext("Please enter your password."))
    next = HiddenField()


class TwoFactorForm(FlaskForm):
    """A code from the authenticator app, or a recovery code."""

    code = StringField(
        lazy_gettext("Code"),
        filters=[strip],
        validators=[DataRequired(lazy_gettext("Please enter the code.")), Length(max=40), single_line],
    )
    next = HiddenField()


class PasswordRequestForm(FlaskForm):
    """The address to send a password reset link to."""

    email = _email_field(lazy_gettext("Please enter your email address."))


class NewPasswordForm(FlaskForm):
    """A new password, typed twice."""

    password = _password_field(lazy_gettext("New password"), lazy_gettext("Please choose a password."))
    confirm = PasswordField(
        lazy_gettext("New password again"),
        validators=[
            DataRequired(lazy_gettext("Please type the password again.")),
            EqualTo("password", lazy_gettext("The passwords differ.")),
        ],
    )


class NewAccountForm(NewPasswordForm):
    """What an invited person fills in to create their account."""

    display_name = _name_field(lazy_gettext("Your name"), lazy_gettext("Please enter your name."), 100)


class OrganizationForm(FlaskForm):
    """A new organization's name; from the builder's first run, `then` asks to go on to a first campaign."""

    name = _name_field(lazy_gettext("Organization name"), lazy_gettext("Please enter a name."), 200)
    then = HiddenField()


class InvitationForm(FlaskForm):
    """Whom to invite into an organization, and as what."""

    email = StringField(
        lazy_gettext("Email"),
        filters=[strip],
        validators=[DataRequired(lazy_gettext("Please enter an email address.")), Length(max=320)],
    )
    role = SelectField(
        lazy_gettext("Role"),
        choices=[
            SelectChoice(MemberRole.MEMBER.value, labels.MEMBER_ROLES[MemberRole.MEMBER]),
            SelectChoice(MemberRole.OWNER.value, labels.MEMBER_ROLES[MemberRole.OWNER]),
        ],
        default=MemberRole.MEMBER.value,
    )


class LogoForm(FlaskForm):
    """An organization's logo, shown on its campaigns' pages."""

    logo = FileField(
        lazy_gettext("Logo (JPEG, PNG or WebP)"),
        validators=[FileRequired(lazy_gettext("Please choose an image."))],
    )


class StaffUserForm(FlaskForm):
    """A new account, made by staff: its owner chooses the password from an emailed link."""

    email = _email_field(lazy_gettext("Please enter an email address."))
    display_name = StringField(
        lazy_gettext("Name"), filters=[strip], validators=[Length(max=100), single_line, no_links]
    )
    role = _role_field(default=Role.ORGANIZER.value)


class RoleForm(FlaskForm):
    """Another platform role for an account."""

    role = _role_field()
