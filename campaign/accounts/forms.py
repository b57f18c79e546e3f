"""The forms of accounts: sign in, second factor, passwords, organizations and invitations."""

from __future__ import annotations

from flask_babel import lazy_gettext
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


class LoginForm(FlaskForm):
    """Email and password."""

    email = StringField(
        lazy_gettext("Email"),
        filters=[strip],
        validators=[
            DataRequired(lazy_gettext("Please enter your email address.")),
            Length(max=320),
            single_line,
        ],
    )
    password = PasswordField(
        lazy_gettext("Password"),
        validators=[DataRequired(lazy_gettext("Please enter your password.")), Length(max=1024), single_line],
    )
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

    email = StringField(
        lazy_gettext("Email"),
        filters=[strip],
        validators=[
            DataRequired(lazy_gettext("Please enter your email address.")),
            Length(max=320),
            single_line,
        ],
    )


class NewPasswordForm(FlaskForm):
    """A new password, typed twice."""

    password = PasswordField(
        lazy_gettext("New password"),
        validators=[DataRequired(lazy_gettext("Please choose a password.")), Length(max=1024), single_line],
    )
    confirm = PasswordField(
        lazy_gettext("New password again"),
        validators=[
            DataRequired(lazy_gettext("Please type the password again.")),
            EqualTo("password", lazy_gettext("The passwords differ.")),
        ],
    )


class NewAccountForm(NewPasswordForm):
    """What an invited person fills in to create their account."""

    display_name = StringField(
        lazy_gettext("Your name"),
        filters=[strip],
        validators=[
            DataRequired(lazy_gettext("Please enter your name.")),
            Length(max=100),
            single_line,
            no_links,
        ],
    )


class OrganizationForm(FlaskForm):
    """A new organization's name."""

    name = StringField(
        lazy_gettext("Organization name"),
        filters=[strip],
        validators=[
            DataRequired(lazy_gettext("Please enter a name.")),
            Length(max=200),
            single_line,
            no_links,
        ],
    )


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

    email = StringField(
        lazy_gettext("Email"),
        filters=[strip],
        validators=[
            DataRequired(lazy_gettext("Please enter an email address.")),
            Length(max=320),
            single_line,
        ],
    )
    display_name = StringField(
        lazy_gettext("Name"), filters=[strip], validators=[Length(max=100), single_line, no_links]
    )
    role = SelectField(
        lazy_gettext("Role"),
        choices=[SelectChoice(role.value, ROLE_LABELS[role]) for role in Role],
        default=Role.ORGANIZER.value,
    )


class RoleForm(FlaskForm):
    """Another platform role for an account."""

    role = SelectField(
        lazy_gettext("Role"), choices=[SelectChoice(role.value, ROLE_LABELS[role]) for role in Role]
    )
