"""Geometry for the report's inline-SVG charts; the template draws them, autoescaping the labels.

Every value plotted is a figure from results.json (or a history point); this module only scales.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

ROW_H = 22
GROUP_GAP = 8
PLOT_LEFT, PLOT_RIGHT, PLOT_TOP, PLOT_BOTTOM = 56, 584, 12, 150


LABEL_CHARS = 22


@dataclass(frozen=True)
class Bar:
    label: str
    full_label: str
    display: str
    frac: float
    kind: str
    y: int


@dataclass(frozen=True)
class BarChart:
    """Horizontal bars (labels left, values right), which stay legible when scaled to a phone."""

    title: str
    bars: list[Bar]
    height: int
    legend: list[tuple[str, str]]


@dataclass(frozen=True)
class BarSpec:
    label: str
    value: float
    display: str
    kind: str


def bar_chart(title: str, groups: Sequence[Sequence[BarSpec]], legend: Sequence[tuple[str, str]] = (),
              scale: float | None = None) -> BarChart:
    """Lay out groups of bars; values are scaled to `scale` (default: the largest value)."""
    top = scale if scale is not None else max((b.value for g in groups for b in g), default=0.0)
    bars: list[Bar] = []
    y = 4
    for group in groups:
        for spec in group:
            frac = spec.value / top if top > 0 else 0.0
            short = spec.label if len(spec.label) <= LABEL_CHARS else spec.label[: LABEL_CHARS - 1] + "…"
            bars.append(Bar(short, spec.label, spec.display, max(0.0, min(1.0, frac)), spec.kind, y))
            y += ROW_H
        y += GROUP_GAP
    return BarChart(title, bars, max(y, 30), list(legend))


@dataclass(frozen=True)
class Dot:
    x: float
    y: float
    title: str


@dataclass(frozen=True)
class Series:
    kind: str
    label: str
    points: str
    dots: list[Dot]


@dataclass(frozen=True)
class LineChart:
    """A trend over runs: x is the run's position, y runs from 0 to `y_max`."""

    title: str
    series: list[Series]
    y_max_label: str
    x_first: str
    x_last: str


@dataclass(frozen=True)
class SeriesSpec:
    kind: str
    label: str
    values: list[float]
    displays: list[str]


def line_chart(title: str, runs: Sequence[str], specs: Sequence[SeriesSpec], y_max: float,
               y_max_label: str) -> LineChart:
    """Place each series' values on a shared 0..y_max scale, one x step per run."""
    count = len(runs)
    step = (PLOT_RIGHT - PLOT_LEFT) / (count - 1) if count > 1 else 0.0
    series: list[Series] = []
    for spec in specs:
        dots = []
        for i, (value, display) in enumerate(zip(spec.values, spec.displays, strict=True)):
            x = PLOT_LEFT + step * i if count > 1 else (PLOT_LEFT + PLOT_RIGHT) / 2
            frac = value / y_max if y_max > 0 else 0.0
            y = PLOT_BOTTOM - (PLOT_BOTTOM - PLOT_TOP) * max(0.0, min(1.0, frac))
            dots.append(Dot(round(x, 1), round(y, 1), f"{runs[i]}: {spec.label} {display}"))
        series.append(Series(spec.kind, spec.label, " ".join(f"{d.x},{d.y}" for d in dots), dots))
    return LineChart(title, series, y_max_label, runs[0] if runs else "", runs[-1] if runs else "")
