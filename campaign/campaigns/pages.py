"""The campaign page, rendered once per campaign version and filled in per request.

Rendering the page (its Markdown, a form with every country) costs far more
than serving it. Each process renders a skeleton once, with marks where the
per-request parts go (the form's fill-time stamp, the link's source tag, the
live count, the reasons for signing), and fills them in by joining strings.
The page holds nothing of the visitor's own: it is the same bytes for every
visitor in a language (within a second), and sets no cookie.
"""

from __future__ import annotations

import functools
import re
import secrets
from datetime import datetime

from flask import get_template_attribute, render_template
from flask_babel import ngettext
from markupsafe import Markup, escape

from campaign import cache, clock, i18n
from campaign.campaigns import comments, translations
from campaign.campaigns.service import CampaignView
from campaign.counts.read import CountSnapshot, read_count, signed_in_last_hour
from campaign.signing import fill_time
from campaign.signing.forms import SignForm

# The marks carry a secret drawn when the process starts and never shown: text
# an organizer wrote cannot hold one (and the forms refuse private-use
# characters anyway), so no per-request part can land in a campaign's text.
_NONCE = secrets.token_hex(16)
_SHOWN, _SOURCE, _COUNT, _COMMENTS = (
    f"\ue000{name}-{_NONCE}\ue000" for name in ("shown", "source", "count", "comments")
)
_SPLIT = re.compile("(" + "|".join(re.escape(mark) for mark in (_SHOWN, _SOURCE, _COUNT, _COMMENTS)) + ")")

# (campaign id, its version, whether it is open, the page's language, the
# language the address named) -> the page cut at its marks. The
# language the address named is in the key because the page's links carry it
# on (`?lang=`). A skeleton also shows rows the campaign's version does not
# cover (the officials of a letter campaign), so it is rendered again after
# SKELETON_SECONDS whatever happens.
_skeletons: cache.Local[tuple[int, datetime, bool, str, str | None], list[str]] = cache.Local(1000)
SKELETON_SECONDS = 60.0


def count_html(count: CountSnapshot, goal: int) -> Markup:
    """The count, the goal, the progress bar and how many signed in the last hour (when any did)."""
    language = i18n.current_language()
    return _progress_html(count.total, goal, language) + _recent_html(signed_in_last_hour(count), language)


@functools.lru_cache(maxsize=4096)
def _progress_html(total: int, goal: int, language: str) -> Markup:
    """The progress block for one count, goal and language: the same for every such visitor."""
    html: Markup = get_template_attribute("_forms.html", "progress")(CountSnapshot(total), goal)
    return html


@functools.lru_cache(maxsize=4096)
def _recent_html(signed: int, language: str) -> Markup:
    """'12 people signed in the last hour' in a language; nothing when no one did."""
    if signed <= 0:
        return Markup("")
    line = ngettext(
        "%(count)s person signed in the last hour",
        "%(count)s people signed in the last hour",
        signed,
        count=i18n.number(signed),
    )
    return Markup('<p class="recent-signers">{}</p>').format(line)


def render(
    view: CampaignView, form: SignForm, *, shown_at: str, source: str, count: Markup, comments_html: Markup
) -> str:
    """Render the campaign page with the given form and per-request parts."""
    # Its words in the reader's language where translated (the skeleton's key holds the language).
    view = translations.localized(view, i18n.current_language())
    form.source.data = source
    return render_template(
        "campaigns/show.html",
        campaign=view,
        form=form,
        shown_at=shown_at,
        count_html=count,
        comments_html=comments_html,
        is_open=view.is_open_at(clock.now()),
    )


def campaign_page(view: CampaignView, source: str | None) -> str:
    """The campaign page with a fresh form: from the skeleton, filled in for this request."""
    key = (
        view.id,
        view.updated_at,
        view.is_open_at(clock.now()),
        i18n.current_language(),
        i18n.requested_language(),
    )
    parts = _skeletons.get_or_make(key, SKELETON_SECONDS, lambda: _skeleton(view))
    count = read_count(view.id)
    values = {
        _SHOWN: fill_time.stamp(),
        _SOURCE: str(escape(SignForm.plausible_source(source))),
        _COUNT: count_html(count, count.goal or view.goal),
        _COMMENTS: comments.block_html(view.id, view.updated_at),
    }
    return "".join(values.get(part, part) for part in parts)


def _skeleton(view: CampaignView) -> list[str]:
    """The campaign page with marks where each request fills in its own parts, cut at the marks."""
    form = SignForm(formdata=None, meta={"csrf": False})
    marks = {"count": Markup(_COUNT), "comments_html": Markup(_COMMENTS)}  # noqa: S704 - constants
    with i18n.links_for_everyone():  # made from one reader's request, kept for all
        return _SPLIT.split(render(view, form, shown_at=_SHOWN, source=_SOURCE, **marks))


def page_with_errors(view: CampaignView, form: SignForm) -> str:
    """The campaign page showing the form as submitted, with its errors."""
    count = read_count(view.id)
    return render(
        view,
        form,
        shown_at=fill_time.stamp(),
        source=form.clean_source or "",
        count=count_html(count, count.goal or view.goal),
        comments_html=comments.block_html(view.id, view.updated_at),
    )
