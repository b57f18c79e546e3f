"""Links in outcomes and updates shown with where they lead, so friendly text cannot hide a phishing site.

On a page, a link whose text is not its own address is followed by its
scheme and host: "[the decision](https://evil.example/x)" reads "the decision
(`https://evil.example/…`)". In an update's email, which is plain text, every
link is written out whole: "the decision (<https://evil.example/x>)". Hosts
are shown as the browser will reach them: international names in their
ASCII (punycode) form, any "user@" before the host dropped.

Both are done on the Markdown itself: it is parsed, the links are rewritten
by mdformat's renderer, and the page then renders the result through the
same sanitizer as every organizer's text.
"""

from __future__ import annotations

import re
from typing import Any, ClassVar
from urllib.parse import SplitResult, urlsplit, urlunsplit

from markdown_it import MarkdownIt
from markdown_it.token import Token
from markupsafe import Markup
from mdformat.renderer import DEFAULT_RENDERERS, MDRenderer, RenderTreeNode

from campaign.campaigns.service import render_markdown

# What a host may show: anything else (there should be nothing else after
# the parser's normalisation) is dropped rather than shown to mislead.
_HOST_CHARACTERS = re.compile(r"[^a-z0-9.\-:\[\]]")


def page_html(source: str) -> Markup:
    """Organizer Markdown as sanitized HTML, every link followed by the host it leads to."""
    return render_markdown(_render(source, _PageLinks))


def mail_text(source: str) -> str:
    """Organizer Markdown for a plain-text email: every link written out whole, its host visible."""
    return _render(source, _MailLinks).rstrip("\n")


def revealed(href: str) -> str:
    """Where a link leads, shortened to its scheme and host: 'https://example.org/…'."""
    parts = urlsplit(href)
    if not parts.netloc:
        return href  # an email address (mailto:), or a page of this site: shown whole
    origin = f"{parts.scheme + ':' if parts.scheme else ''}//{_host_of(parts)}"
    is_more = parts.path not in ("", "/") or parts.query or parts.fragment
    return origin + ("/…" if is_more else "")


def whole(href: str) -> str:
    """A link's address as it is reached: host in ASCII, no 'user@' part that could pose as the host."""
    parts = urlsplit(href)
    if not parts.netloc:
        return href
    return urlunsplit(parts._replace(netloc=_host_of(parts)))


def _host_of(parts: SplitResult) -> str:
    """The host and port of a parsed address, without user information."""
    try:
        port = parts.port
    except ValueError:
        port = None
    host = _safe_host(parts.hostname or "")
    if ":" in host:
        host = f"[{host}]"  # an IPv6 address
    return f"{host}:{port}" if port is not None else host


def _safe_host(host: str) -> str:
    """The host in lower case with nothing but the characters a host name or address has."""
    return _HOST_CHARACTERS.sub("", host.lower())


def _visible_text(node: RenderTreeNode) -> str:
    """The words a reader sees for a link."""
    return "".join(
        child.content for child in node.walk(include_self=False) if child.type in ("text", "code_inline")
    ).strip()


def _href(node: RenderTreeNode) -> str:
    """A link's address as the parser normalised it."""
    href = node.attrs.get("href", "")
    return href if isinstance(href, str) else ""


def _speaks_for_itself(node: RenderTreeNode) -> bool:
    """Tell whether a link's text is its whole address, with its true host in front."""
    href = _href(node)
    return _visible_text(node) == href and whole(href) == href


def _page_link(node: RenderTreeNode, context: Any) -> str:
    """A link as Markdown, followed by its scheme and host unless its text is that address."""
    written: str = DEFAULT_RENDERERS["link"](node, context)
    if _speaks_for_itself(node):
        return written
    # A code span shows the host literally: nothing in it can be read as Markdown.
    return f"{written} (`{revealed(_href(node)).replace('`', '')}`)"


def _mail_link(node: RenderTreeNode, context: Any) -> str:
    """A link as plain text: its words, then its whole address (just the address if that is its text)."""
    address = whole(_href(node))
    if node.info == "auto" or _speaks_for_itself(node):
        return f"<{address}>"
    words = "".join(child.render(context) for child in node.children)
    return f"{words} (<{address}>)"


class _PageLinks:
    """mdformat renderers for the page: links keep their Markdown and gain their host."""

    RENDERERS: ClassVar[dict[str, Any]] = {"link": _page_link}
    POSTPROCESSORS: ClassVar[dict[str, Any]] = {}


class _MailLinks:
    """mdformat renderers for an email: links become their words and their whole address."""

    RENDERERS: ClassVar[dict[str, Any]] = {"link": _mail_link}
    POSTPROCESSORS: ClassVar[dict[str, Any]] = {}


# The same syntax as the pages (campaign.campaigns.service): CommonMark, no
# raw HTML, no bare-address links. Tables are left as the text they are.
# It only parses: mdformat's renderer, given its options, writes the Markdown
# back; reference labels are kept so that a reference link stays one.
_markdown = MarkdownIt("commonmark", {"html": False, "linkify": False})
_markdown.options.update(
    {"store_labels": True, "mdformat": {"wrap": "keep", "number": False}, "codeformatters": {}}
)


def _render(source: str, links: type) -> str:
    """Render Markdown back to Markdown, links through the given renderers."""
    env: dict[str, Any] = {}
    tokens: list[Token] = _markdown.parse(source, env)
    options = {**_markdown.options, "parser_extension": [links]}
    return str(MDRenderer().render(tokens, options, env))
