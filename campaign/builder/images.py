"""Campaign images: checked, re-encoded without metadata, stored under a random name.

What an organizer uploads is never served as it came: Pillow decodes it
(JPEG, PNG or WebP only, within size and pixel limits), turns it upright,
scales it down and encodes a fresh file from the pixels alone, so EXIF
(GPS positions, camera serials), ICC profiles and text chunks are left behind.
"""

from __future__ import annotations

import io
import os
import re
import secrets
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

from flask import current_app
from flask_babel import gettext
from PIL import Image, ImageOps

# Pillow's format name -> (file extension, MIME type, encoder options).
FORMATS: dict[str, tuple[str, str, dict[str, Any]]] = {
    "JPEG": ("jpg", "image/jpeg", {"quality": 85, "optimize": True}),
    "PNG": ("png", "image/png", {"optimize": True}),
    "WEBP": ("webp", "image/webp", {"quality": 85}),
}
MIME_TYPES = {ext: mime for ext, mime, _ in FORMATS.values()}
NAME_PATTERN = re.compile(r"^[A-Za-z0-9_-]{32}\.(jpg|png|webp)$")
# Defaults; each may be set in the app's configuration.
DEFAULT_MAX_BYTES = 5 * 1024 * 1024
DEFAULT_MAX_PIXELS = 40_000_000
DEFAULT_MAX_SIDE = 2000
# Where a crop keeps an image's focal point, as (across, down) fractions: CSS's object-position
# (static/css/site.css, .focus-*) and the share image's crop (campaign.campaigns.sharing) agree.
FOCUS_CENTERING: dict[str, tuple[float, float]] = {
    "top": (0.5, 0.0),
    "center": (0.5, 0.5),
    "bottom": (0.5, 1.0),
}


class BadImage(ValueError):
    """The upload is not an image we accept; the message says why."""


@dataclass(frozen=True)
class CleanImage:
    """A re-encoded image, ready to store."""

    data: bytes
    extension: str
    width: int
    height: int


def limit(name: str, default: int) -> int:
    """A limit from the configuration (CAMPAIGN_IMAGE_MAX_BYTES and the like), or its default."""
    return int(current_app.config.get(f"CAMPAIGN_IMAGE_{name}", default))


def max_bytes() -> int:
    """The largest upload accepted, in bytes."""
    return limit("MAX_BYTES", DEFAULT_MAX_BYTES)


def clean(stream: IO[bytes], max_side: int | None = None) -> CleanImage:
    """Decode an upload within the limits and encode it again from its pixels alone.

    max_side: the longest side kept (an organization's logo is smaller than a campaign's image).
    """
    data = stream.read(max_bytes() + 1)
    if len(data) > max_bytes():
        raise BadImage(
            gettext("The image is larger than %(megabytes)s MB.", megabytes=max_bytes() // (1024 * 1024))
        )
    if not data:
        raise BadImage(gettext("The file is empty."))
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(data), formats=list(FORMATS)) as image:
                return _reencode(image, max_side or limit("MAX_SIDE", DEFAULT_MAX_SIDE))
    except BadImage:
        raise
    except (OSError, SyntaxError, ValueError, Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise BadImage(gettext("This file is not a JPEG, PNG or WebP image we can read.")) from None


def _reencode(image: Image.Image, max_side: int) -> CleanImage:
    """Check the decoded header's limits, then draw the pixels into a fresh file of the same type."""
    source_format = image.format or ""
    if source_format not in FORMATS:
        raise BadImage(gettext("Please upload a JPEG, PNG or WebP image."))
    width, height = image.size
    if width * height > limit("MAX_PIXELS", DEFAULT_MAX_PIXELS):
        raise BadImage(gettext("The image has too many pixels; please upload a smaller one."))
    image.load()
    upright = ImageOps.exif_transpose(image) or image
    has_alpha = upright.mode in ("RGBA", "LA", "PA") or "transparency" in upright.info
    mode = "RGBA" if has_alpha and source_format != "JPEG" else "RGB"
    pixels = upright.convert(mode)
    pixels.thumbnail((max_side, max_side))
    # A new image made from raw pixels carries no info, EXIF or profile of the upload.
    fresh = Image.frombytes(mode, pixels.size, pixels.tobytes())
    extension, _, options = FORMATS[source_format]
    out = io.BytesIO()
    fresh.save(out, format=source_format, **options)
    return CleanImage(out.getvalue(), extension, fresh.width, fresh.height)


def folder() -> Path:
    """Where campaign images are kept: CAMPAIGN_IMAGE_FOLDER, or a folder in the instance folder."""
    configured = current_app.config.get("CAMPAIGN_IMAGE_FOLDER")
    return Path(configured) if configured else Path(current_app.instance_path) / "campaign-images"


def store(image: CleanImage, into: Path | None = None) -> str:
    """Write the image under a new random name (atomically) in `into` (or campaign images'); its name."""
    name = f"{secrets.token_urlsafe(24)}.{image.extension}"
    target = into or folder()
    target.mkdir(parents=True, exist_ok=True)
    partial = target / f".{name}.part"
    partial.write_bytes(image.data)
    os.replace(partial, target / name)
    return name


def path_of(name: str, into: Path | None = None) -> Path | None:
    """The stored file of a well-formed image name in a folder (campaign images'), if it exists."""
    if not NAME_PATTERN.match(name):
        return None
    path = (into or folder()) / name
    return path if path.is_file() else None


def delete(name: str | None, into: Path | None = None) -> None:
    """Remove a stored image that nothing shows any more."""
    path = path_of(name, into) if name else None
    if path is not None:
        path.unlink(missing_ok=True)


def cropped(image: Image.Image, size: tuple[int, int], focus: str) -> Image.Image:
    """The image scaled to cover `size` and cropped to it, its focal point (top, centre, bottom) in view."""
    centering = FOCUS_CENTERING.get(focus, FOCUS_CENTERING["center"])
    return ImageOps.fit(image, size, Image.Resampling.LANCZOS, centering=centering)
