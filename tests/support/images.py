"""Small images made in memory, for the upload tests."""

from __future__ import annotations

import io
from typing import Any


def image_bytes(fmt: str = "JPEG", size: tuple[int, int] = (64, 48), exif: bool = False) -> bytes:
    """A small image in this format, with a GPS position and a camera serial in its EXIF if asked."""
    from PIL import Image

    image = Image.new("RGB", size, (200, 30, 30))
    out = io.BytesIO()
    options: dict[str, Any] = {}
    if exif:
        data = Image.Exif()
        data[0xA431] = "SERIAL-12345"  # BodySerialNumber
        data[0x010F] = "SpyCam"  # Make
        gps = {1: "N", 2: (40.0, 10.0, 0.0), 3: "E", 4: (44.0, 30.0, 0.0)}
        data[0x8825] = gps
        options["exif"] = data.tobytes()
    image.save(out, format=fmt, **options)
    return out.getvalue()
