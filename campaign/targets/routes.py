"""The targets' public pages: the letter preview a signer sees before signing, the routed officials,
the reply question, and the command-line tools (`campaign officials import|status|paused|resume|delivery`).

The pages of organizers and staff are in campaign.targets.pages, on the same blueprint.
"""

from __future__ import annotations

import getpass
import sys
from typing import TextIO

import click
from flask import abort, jsonify, make_response, render_template, request
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_babel import ngettext
from werkzeug.wrappers import Response as BaseResponse

from campaign import labels
from campaign.audit.service import record
from campaign.campaigns.pages import page_with_errors
from campaign.campaigns.service import public_view_or_404
from campaign.cli import TranslatedCommand, TranslatedOption
from campaign.extensions import csrf, db
from campaign.security import private
from campaign.signing.forms import SignForm
from campaign.targets import bounces, delivery, directory, followups, service

# This adds the organizers' and staff's pages to bp.
from campaign.targets import pages as pages
from campaign.targets.blueprint import bp
from campaign.targets.forms import OfficialsQuery, signer_fields
from campaign.targets.models import DeliveryMode, ReplyAnswer
from campaign.targets.preview import LetterPreview, build_preview, letter_place


@bp.app_template_global()
def letter_preview(campaign_id: int, form: SignForm) -> LetterPreview | None:
    """The letter a signer is about to send, filled in with what the form holds so far."""
    return build_preview(campaign_id, signer_fields(form))


@bp.post("/campaigns/<slug>/letter-preview")
@csrf.exempt  # posted by the cached campaign page's form (no per-visitor token); it changes nothing
def preview(slug: str) -> tuple[str, int]:
    """Show the campaign page with the letter filled in from the form: the preview without JavaScript."""
    campaign = public_view_or_404(slug)
    if not campaign.is_letter:
        abort(404)
    form = SignForm(meta={"csrf": False})
    status = 200 if form.validate() else 400
    return page_with_errors(campaign, form), status


@bp.get("/campaigns/<slug>/officials.json")
def officials(slug: str) -> BaseResponse | tuple[BaseResponse, int]:
    """The officials a signer from ?country=CA&region=CA-ON would write to (public office holders), and
    their place as the letter names it (letter.js shows it in the preview)."""
    settings = service.letter_settings(public_view_or_404(slug).id)
    if settings is None:
        abort(404)
    query = OfficialsQuery(request.args)
    if not query.validate():
        return jsonify({"errors": query.errors}), 400
    country, region = query.country.data, query.region.data
    found = service.officials_for(settings, country, region)
    listed = [{"name": o.name, "title": o.title, "body": o.body} for o in found]
    return jsonify({"officials": listed, "place": letter_place(settings, country, region)})


# The blueprint's command group, `campaign officials` (campaign.targets.blueprint names it).
bp.cli.help = _l("The directory of officials letters go to, and how their letters are doing.")


@bp.cli.command(
    "import",
    cls=TranslatedCommand,
    help=_l(
        "Add officials from a CSV file (name, title, country, email; body, region, party, photo_url, ocd_id)."
    ),
)
@click.argument("csv_file", type=click.File("r", encoding="utf-8-sig"))
def import_command(csv_file: TextIO) -> None:
    """Add officials from a CSV file (name, title, country, email; body, region, party, photo_url, ocd_id)."""
    try:
        report = directory.import_csv(
            csv_file,
            progress=lambda rows: click.echo(
                ngettext("%(num)s row read", "%(num)s rows read", rows), err=True
            ),
        )
    except directory.InvalidOfficial as error:
        raise click.ClickException(str(error)) from None
    db.session.commit()
    click.echo(
        # Translators: three counts of the rows of a file of officials; "duplicates: 2" reads as well
        _(
            "Added %(added)s; %(duplicates)s duplicates; %(rejected)s rejected.",
            added=report.added,
            duplicates=len(report.duplicates),
            rejected=len(report.rejected),
        )
    )
    for line in report.duplicates:
        click.echo(_("line %(line)s: already in the directory", line=line), err=True)
    for line, reason in report.rejected:
        click.echo(_("line %(line)s: rejected: %(reason)s", line=line, reason=reason), err=True)
    if report.rejected:
        sys.exit(1)


@bp.cli.command(
    "status",
    cls=TranslatedCommand,
    help=_l("Show per official how a letter campaign's letters are doing."),
)
@click.argument("slug")
def status_command(slug: str) -> None:
    """Show per official how a letter campaign's letters are doing."""
    settings = service.settings_by_slug(slug)
    if settings is None:
        raise click.ClickException(_("No letter campaign '%(slug)s'.", slug=slug))
    # The columns: the official, then their letters in each state, named as the dashboard names them.
    states = [str(labels.DELIVERY_STATES[state]).lower() for state in delivery.DELIVERY_STATES]
    # Translators: the heading of the first column of `campaign officials status`
    click.echo("\t".join([_("official"), *states]))
    for row in delivery.delivery_status(settings.campaign_id):
        counts = "\t".join(str(row.count(state)) for state in delivery.DELIVERY_STATES)
        name = row.official.name
        if (problem := row.official.address_problem) is not None:
            # Translators: an official whose address gets no letters, and why ("address refused mail")
            name = _("%(name)s (%(problem)s)", name=name, problem=labels.ADDRESS_PROBLEMS[problem])
        click.echo(f"{name}\t{counts}")


@bp.cli.command(
    "paused",
    cls=TranslatedCommand,
    help=_l("List the officials' addresses no letters go to, why and since when."),
)
def paused_command() -> None:
    """List the officials' addresses no letters go to, why and since when."""
    # Translators: the headings of `campaign officials paused`
    click.echo("\t".join([_("official"), _("address"), _("why"), _("since (UTC)")]))
    for official in bounces.paused():
        # A paused address has both its reason and its time (the check pause_whole).
        assert official.address_problem is not None and official.bad_since is not None
        problem = labels.ADDRESS_PROBLEMS[official.address_problem]
        click.echo(f"{official.name}\t{official.email}\t{problem}\t{official.bad_since:%Y-%m-%d %H:%M}")


@bp.cli.command(
    "resume",
    cls=TranslatedCommand,
    help=_l(
        "Let letters go again to an address paused after a refusal or a spam complaint, "
        "or corrected with --new-email."
    ),
)
@click.argument("email")
@click.option(
    "--new-email",
    cls=TranslatedOption,
    help=_l("The officials' right address, where their letters go from now on."),
)
@click.option(
    "--resend",
    is_flag=True,
    cls=TranslatedOption,
    help=_l("Also send, at the officials' pace, the letters that bounced or that the pause stopped."),
)
def resume_command(email: str, new_email: str | None, resend: bool) -> None:
    """Let letters go again to an address paused after a refusal or a spam complaint, or corrected."""
    try:
        said = service.resume(email, new_email, resend=resend, actor=f"cli:{getpass.getuser()}")
    except directory.InvalidOfficial as error:
        raise click.ClickException(str(error)) from None
    db.session.commit()
    for line in said:
        click.echo(line)


@bp.cli.command(
    "delivery",
    cls=TranslatedCommand,
    help=_l("Send a letter campaign's letters paced (the default), or as a daily digest with --digest-hour."),
)
@click.argument("slug")
@click.option(
    "--digest-hour",
    type=click.IntRange(0, 23),
    cls=TranslatedOption,
    help=_l("One digest a day from this hour (UTC) on."),
)
def delivery_command(slug: str, digest_hour: int | None) -> None:
    """Send a letter campaign's letters paced (the default), or as a daily digest with --digest-hour."""
    settings = service.settings_by_slug(slug)
    if settings is None:
        raise click.ClickException(_("No letter campaign '%(slug)s'.", slug=slug))
    mode = DeliveryMode.INDIVIDUAL if digest_hour is None else DeliveryMode.DIGEST
    service.set_delivery(settings, mode, digest_hour or 0)
    actor = f"cli:{getpass.getuser()}"
    record(actor, "campaign.delivery_changed", f"campaign:{settings.campaign_id}", delivery=str(mode))
    db.session.commit()
    if digest_hour is None:
        click.echo(_("%(slug)s: paced letters.", slug=slug))
    else:
        hour = f"{digest_hour:02d}:00"
        click.echo(_("%(slug)s: a daily digest from %(hour)s UTC.", slug=slug, hour=hour))


@bp.route("/letters/replied/<token>", methods=["GET", "POST"])
def replied(token: str) -> BaseResponse | tuple[str, int]:
    """Ask (GET) and record (POST) whether a writer's officials replied; a GET changes nothing."""
    signature_id = followups.signature_of_token(token)
    campaign = followups.campaign_asked(signature_id) if signature_id is not None else None
    if signature_id is None or campaign is None:
        abort(404)
    answered = False
    if request.method == "POST":
        try:
            answer = ReplyAnswer(request.form.get("answer", ""))
        except ValueError:
            abort(400)
        answered = followups.record_answer(signature_id, answer)
        db.session.commit()
    # The page comes by a link in the writer's mail, without a session: the global rule would not cover it.
    return private(
        make_response(
            render_template("targets/replied.html", token=token, campaign=campaign, answered=answered)
        )
    )
