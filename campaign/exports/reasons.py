"""Why an export failed: kept as a short code in export.error, shown in the reader's language.

The page turns the code into a phrase of PHRASES in the language it is
written in. Rows written before the codes hold English sentences: the ones
the code still knows are translated too, any other is shown as it is.
"""

from __future__ import annotations

from flask_babel import LazyString, lazy_gettext

# Its worker stopped (killed, or out of time) while it wrote the file (campaign.exports.files).
ABANDONED = "worker-stopped"
# Writing the file failed (campaign.exports.writer, the command line's export).
WRITE_FAILED = "write-failed"

PHRASES: dict[str, LazyString] = {
    ABANDONED: lazy_gettext("The export stopped when its worker did; please ask for it again."),
    WRITE_FAILED: lazy_gettext("The export failed; please ask for it again."),
}
# The English sentences older rows hold, read as the code that replaced them.
_OLD_SENTENCES = {
    "The export stopped when its worker did; please ask for it again.": ABANDONED,
    "The export failed; please ask for it again.": WRITE_FAILED,
    "The export failed.": WRITE_FAILED,
}


def describe(error: str | None) -> str:
    """Why an export failed, as the page says it in the reader's language; an unknown text as it is."""
    if not error:
        return ""
    phrase = PHRASES.get(_OLD_SENTENCES.get(error, error))
    return error if phrase is None else str(phrase)
