"""Geometry of the dashboard's charts, drawn as SVG by templates/updates/_charts.html.

Only numbers and labels come out of here; the template escapes the labels.
The charts carry no inline styles (the CSP allows none): colours come from
CSS classes and SVG presentation attributes.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field


@dataclass(frozen=True)
class Bar:
    """One bar: its label, its value and where it is drawn."""

    label: str
    value: int
    x: float
    y: float
    width: float
    height: float
    # Whether its label is written under the axis (columns: a few of them only).
    is_labelled: bool = True
    # What is written under the axis: the label, or a shorter one ("14:00" for "Nov 8, 14:00").
    axis_label: str = ""


@dataclass(frozen=True)
class Chart:
    """A bar chart ready to draw: 'columns' over time, or 'rows' for categories."""

    kind: str
    width: int
    height: int
    maximum: int
    bars: list[Bar] = field(default_factory=list)
    # (y, value) of the horizontal guide lines of a column chart.
    guides: list[tuple[float, int]] = field(default_factory=list)
    # Where the plotting area starts (left margin for labels, bottom margin for the axis).
    left: float = 0
    bottom: float = 0

    @property
    def is_empty(self) -> bool:
        """Tell whether there is nothing to draw."""
        return self.maximum == 0


# Drawn about as wide as a phone's screen, so that the labels (12 units) stay at least
# 11 px high at 375 px; site.css keeps them from growing past ~15 px on a desktop.
CHART_WIDTH = 360
COLUMN_LEFT = 48.0
COLUMN_BOTTOM = 24.0
ROW_LEFT = 150.0
ROW_RIGHT = 60.0


def nice_maximum(value: int) -> int:
    """A round number at or above the value (1, 2 or 5 times a power of ten), for round guides."""
    if value <= 0:
        return 0
    step = 1
    while True:
        for factor in (1, 2, 5):
            if factor * step >= value:
                return factor * step
        step *= 10


def guide_values(maximum: int) -> list[int]:
    """Whole numbers cutting 0..maximum in equal steps: the middle if whole (0, 5, 10), else each (0..5)."""
    if maximum <= 0:
        return []
    parts = next(parts for parts in (2, 5, 1) if maximum % parts == 0)
    return [maximum * part // parts for part in range(parts + 1)]


def column_chart(
    points: Sequence[tuple[str, int]],
    *,
    axis_labels: Sequence[str] | None = None,
    width: int = CHART_WIDTH,
    height: int = 200,
) -> Chart:
    """Columns, one per point in order (a time series), with guide lines at whole values."""
    maximum = nice_maximum(max((value for _, value in points), default=0))
    plot_width = width - COLUMN_LEFT
    plot_height = height - COLUMN_BOTTOM - 8
    slot = plot_width / max(len(points), 1)
    every = max(1, -(-len(points) // 6))  # label at most six columns
    bars = []
    for index, (label, value) in enumerate(points):
        bar_height = plot_height * value / maximum if maximum else 0.0
        bars.append(
            Bar(
                label=label,
                value=value,
                x=round(COLUMN_LEFT + index * slot + slot * 0.1, 2),
                y=round(8 + plot_height - bar_height, 2),
                width=round(slot * 0.8, 2),
                height=round(bar_height, 2),
                is_labelled=index % every == 0,
                axis_label=axis_labels[index] if axis_labels else label,
            )
        )
    # Each guide is drawn where its value is: a middle of 2.5 is not labelled "2".
    guides = [(round(8 + plot_height * (1 - value / maximum), 2), value) for value in guide_values(maximum)]
    return Chart("columns", width, height, maximum, bars, guides, COLUMN_LEFT, COLUMN_BOTTOM)


def row_chart(points: Sequence[tuple[str, int]], *, width: int = CHART_WIDTH, row_height: int = 28) -> Chart:
    """Horizontal bars, one per category, labelled on the left and valued on the right."""
    maximum = max((value for _, value in points), default=0)
    plot_width = width - ROW_LEFT - ROW_RIGHT
    bars = [
        Bar(
            label=label,
            value=value,
            x=ROW_LEFT,
            y=float(index * row_height + 4),
            width=round(plot_width * value / maximum, 2) if maximum else 0.0,
            height=float(row_height - 8),
        )
        for index, (label, value) in enumerate(points)
    ]
    return Chart("rows", width, max(len(points), 1) * row_height, maximum, bars, [], ROW_LEFT, 0)
