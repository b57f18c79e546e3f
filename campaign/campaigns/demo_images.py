"""Pictures for the demo campaigns and their organization, drawn with Pillow when the demo is seeded.

Drawn for the project (no photograph of anyone, nothing to license): the
petition's highlands at sunrise with the people who stand for them, the
letter campaign's letters flying to a government building, and the demo
organization's emblem. Each is stored as a campaign image or a logo is.
"""

from __future__ import annotations

import io
from collections.abc import Callable

from PIL import Image, ImageDraw

from campaign.builder.images import CleanImage

WIDTH, HEIGHT = 1200, 630
Colour = tuple[int, int, int]


def _png(image: Image.Image) -> CleanImage:
    """The drawing as a PNG, ready to store."""
    out = io.BytesIO()
    image.save(out, "PNG", optimize=True)
    return CleanImage(out.getvalue(), "png", image.width, image.height)


def _sky(pen: ImageDraw.ImageDraw, top: Colour, bottom: Colour, height: int = HEIGHT) -> None:
    """A vertical gradient from `top` to `bottom`."""
    for y in range(height):
        share = y / (height - 1)
        colour = tuple(round(a + (b - a) * share) for a, b in zip(top, bottom, strict=True))
        pen.line([(0, y), (WIDTH, y)], fill=colour)


def _person(pen: ImageDraw.ImageDraw, x: int, ground: int, size: int, colour: Colour) -> None:
    """A person seen from afar: a head and shoulders."""
    pen.ellipse((x - size // 2, ground - 3 * size, x + size // 2, ground - 2 * size), fill=colour)
    pen.rounded_rectangle((x - size * 3 // 4, ground - 2 * size + 6, x + size * 3 // 4, ground + size),
                          radius=size // 2, fill=colour)  # fmt: skip


def highlands() -> CleanImage:
    """The petition's picture: mountains at sunrise, and a crowd in front of them."""
    image = Image.new("RGB", (WIDTH, HEIGHT))
    pen = ImageDraw.Draw(image)
    _sky(pen, (255, 214, 165), (252, 240, 226))
    pen.ellipse((760, 120, 980, 340), fill=(255, 170, 80))
    ranges: list[tuple[Colour, list[tuple[int, int]]]] = [
        ((196, 160, 150), [(0, 380), (140, 250), (260, 330), (420, 190), (560, 310), (700, 220),
                           (860, 300), (1010, 200), (1200, 310)]),
        ((120, 150, 110), [(0, 440), (180, 320), (330, 410), (520, 300), (690, 420), (850, 330),
                           (1040, 430), (1200, 360)]),
        ((70, 110, 80), [(0, 500), (220, 430), (420, 500), (640, 440), (860, 510), (1200, 450)]),
    ]  # fmt: skip
    for colour, ridge in ranges:
        pen.polygon([*ridge, (WIDTH, HEIGHT), (0, HEIGHT)], fill=colour)
    crowd: list[Colour] = [(179, 38, 30), (208, 87, 79), (120, 30, 40), (230, 140, 90)]
    for index, x in enumerate(range(70, WIDTH, 62)):
        size = 26 + (index * 7) % 12
        _person(pen, x, HEIGHT - 30 - (index * 13) % 24, size, crowd[index % len(crowd)])
    return _png(image)


def _envelope(pen: ImageDraw.ImageDraw, box: tuple[int, int, int, int], paper: Colour, line: Colour) -> None:
    """A closed envelope in a box (left, top, right, bottom)."""
    left, top, right, bottom = box
    pen.rounded_rectangle(box, radius=8, fill=paper, outline=line, width=3)
    pen.line([(left, top), ((left + right) // 2, (top + bottom) // 2 + 6), (right, top)], fill=line, width=3)


def letters_to_parliament() -> CleanImage:
    """The letter campaign's picture: letters flying to a government building."""
    image = Image.new("RGB", (WIDTH, HEIGHT))
    pen = ImageDraw.Draw(image)
    _sky(pen, (214, 228, 242), (240, 244, 250))
    navy, paper, line = (16, 66, 107), (255, 255, 255), (120, 150, 185)
    pen.rectangle((0, 520, WIDTH, HEIGHT), fill=(196, 210, 228))
    # The building: a pediment, columns and steps.
    pen.polygon([(700, 250), (1100, 250), (900, 150)], fill=navy)
    pen.rectangle((715, 262, 1085, 282), fill=navy)
    for x in range(735, 1080, 70):
        pen.rectangle((x, 292, x + 34, 490), fill=navy)
    pen.rectangle((700, 496, 1100, 516), fill=navy)
    pen.rectangle((680, 516, 1120, 536), fill=navy)
    # Letters on their way, along a dotted path.
    for step in range(28):
        x = 120 + step * 20
        y = round(470 - 260 * (step / 27) ** 0.8)
        pen.ellipse((x - 3, y - 3, x + 3, y + 3), fill=line)
    for left, top, scale in ((90, 420, 1.0), (300, 300, 1.2), (520, 190, 1.5)):
        _envelope(pen, (left, top, left + round(110 * scale), top + round(72 * scale)), paper, line)
    seal = (590, 240)
    pen.ellipse((seal[0] - 22, seal[1] - 22, seal[0] + 22, seal[1] + 22), fill=(179, 38, 30))
    return _png(image)


def emblem() -> CleanImage:
    """The demo organization's logo: a sun over two peaks, in a ring."""
    size = 256
    image = Image.new("RGB", (size, size), (255, 255, 255))
    pen = ImageDraw.Draw(image)
    pen.ellipse((8, 8, size - 8, size - 8), fill=(179, 38, 30))
    pen.ellipse((28, 28, size - 28, size - 28), fill=(255, 244, 232))
    pen.ellipse((98, 58, 158, 118), fill=(255, 170, 80))
    pen.polygon([(40, 190), (100, 100), (150, 190)], fill=(70, 110, 80))
    pen.polygon([(110, 190), (165, 120), (216, 190)], fill=(120, 150, 110))
    pen.rectangle((40, 190, 216, 200), fill=(179, 38, 30))
    return _png(image)


# Each demo campaign's picture and what it shows (its alt text).
CAMPAIGN_PICTURES: dict[str, tuple[Callable[[], CleanImage], str]] = {
    "recognize-artsakh": (
        highlands,
        "A drawing of green mountains at sunrise, with a crowd of supporters standing in front of them.",
    ),
    "suspend-arms-exports": (
        letters_to_parliament,
        "A drawing of letters flying towards a government building.",
    ),
}
