"""The report's charts, drawn by matplotlib as SVG text to inline in the page.

The only module that imports matplotlib (the `igconnect[report]` extra), and only when a report is
built. Text is drawn as paths (`svg.fonttype = path`), so the page needs no font; nothing from the
archive is drawn (no captions or usernames: titles are HTML), so no stranger's text reaches
matplotlib's math parser. Element ids are prefixed per chart so several charts fit in one page.
"""

from __future__ import annotations

import io
import re
import warnings
from collections.abc import Sequence
from datetime import tzinfo
from typing import TYPE_CHECKING, Any

from igconnect.analytics.rates import RATES
from igconnect.analytics.summary import PositionFigures, RateFigures
from igconnect.report.model import SequenceFigures, StoryFigures

if TYPE_CHECKING:
    from matplotlib.figure import Figure

INK = "#1f2933"
REACH = "#3b6fb6"
VIEWS = "#e08a2c"
MUTED = "#9aa5b1"
STYLE = {
    "svg.fonttype": "path",
    "svg.hashsalt": "igconnect",  # stable ids: the same archive gives the same file
    "font.family": "DejaVu Sans",  # shipped with matplotlib
    "font.size": 9,
    "axes.edgecolor": MUTED,
    "axes.labelcolor": INK,
    "axes.spines.top": False,
    "axes.spines.right": False,
    "xtick.color": INK,
    "ytick.color": INK,
    "axes.titlesize": 9,
    "axes.titleweight": "bold",
}


def _style() -> Any:
    import matplotlib

    return matplotlib.rc_context(STYLE)  # type: ignore[arg-type]


def _svg(fig: Figure, prefix: str) -> str:
    """The figure as an inline <svg> element; `prefix` makes its ids unique in the page."""

    buffer = io.StringIO()
    with _style(), warnings.catch_warnings():
        # A period of a few hours makes AutoDateLocator warn that it fell back to its default
        # ticks: nothing the reader of the report can act on.
        warnings.simplefilter("ignore", UserWarning)
        fig.savefig(buffer, format="svg", metadata={"Date": None})  # constrained layout fits it
    text = buffer.getvalue()
    text = text[text.index("<svg") :]  # drop the XML declaration and DOCTYPE
    text = re.sub(r'\bid="([^"]+)"', rf'id="{prefix}\1"', text)
    text = re.sub(r'href="#([^"]+)"', rf'href="#{prefix}\1"', text)
    return re.sub(r"url\(#([^)]+)\)", rf"url(#{prefix}\1)", text)


def _figure(width: float, height: float, **margins: float) -> Figure:
    """A figure with fixed margins: constrained layout would double the drawing time, and a
    report draws three charts per account."""
    from matplotlib.figure import Figure

    with _style():
        fig = Figure(figsize=(width, height))
        fig.subplots_adjust(**margins)
        return fig


def reach_and_views(stories: Sequence[StoryFigures], zone: tzinfo, prefix: str) -> str:
    """Reach and views of each story, by posting time (the account's time zone)."""
    from matplotlib import dates

    with _style():
        fig = _figure(7.2, 2.6, left=0.09, right=0.99, top=0.97, bottom=0.2)
        ax = fig.add_subplot()
        times = [s.posted_at for s in stories]
        for label, color, values in (
            ("Reach", REACH, [s.reach for s in stories]),
            ("Views", VIEWS, [s.views for s in stories]),
        ):
            points = [(t, v) for t, v in zip(times, values, strict=True) if v is not None]
            if points:
                ax.plot(
                    *zip(*points, strict=True), marker="o", ms=3, lw=1.2, color=color, label=label
                )
        ax.set_ylabel("per story")
        ax.set_ylim(bottom=0)
        if ax.get_legend_handles_labels()[0]:  # nothing drawn (no values yet): no legend to show
            ax.legend(frameon=False, loc="upper left", ncols=2)
        locator = dates.AutoDateLocator(tz=zone, maxticks=8)
        ax.xaxis.set_major_locator(locator)
        ax.xaxis.set_major_formatter(dates.ConciseDateFormatter(locator, tz=zone))
        ax.grid(axis="y", color="#e4e7eb", lw=0.6)
        return _svg(fig, prefix)


def rates_against_median(
    stories: Sequence[StoryFigures], figures: Sequence[RateFigures], prefix: str
) -> str:
    """One small panel per rate: each story's value in posting order, the median as a line."""
    from matplotlib.ticker import PercentFormatter

    medians = {f.column: f.median for f in figures}
    with _style():
        fig = _figure(
            7.2, 3.6, left=0.07, right=0.99, top=0.93, bottom=0.13, wspace=0.3, hspace=0.35
        )
        axes = fig.subplots(2, 3, sharex=True)
        for ax, rate in zip(axes.flat, RATES, strict=True):
            points = [(i + 1, s.rates[rate.column]) for i, s in enumerate(stories)]
            shown = [(x, y) for x, y in points if y is not None]
            typical = medians.get(rate.column)
            if shown:
                xs, ys = zip(*shown, strict=True)
                colors = [REACH if typical is None or y >= typical else VIEWS for y in ys]
                ax.scatter(xs, ys, s=9, c=colors, lw=0)
            if typical is not None:
                ax.axhline(typical, color=INK, lw=0.9, ls="--")
            ax.set_title(rate.label, loc="left")
            ax.yaxis.set_major_formatter(PercentFormatter(1.0, decimals=0))
            top = max([y for _, y in shown] + [typical or 0, 0.01])
            ax.set_ylim(0, top * 1.15)  # room above the highest dot
            ax.grid(axis="y", color="#e4e7eb", lw=0.6)
            if not shown:
                ax.text(0.5, 0.5, "no data", transform=ax.transAxes, ha="center", color=MUTED)
        for ax in axes[1]:
            ax.set_xlabel("story (posting order)")
        return _svg(fig, prefix)


def sequence_dropoff(
    sequences: Sequence[SequenceFigures], positions: Sequence[PositionFigures], prefix: str
) -> str:
    """Reach of each frame relative to its sequence's first frame: every sequence as a thin line,
    the median per position as bars."""
    from matplotlib.ticker import MaxNLocator, PercentFormatter

    with _style():
        fig = _figure(7.2, 2.6, left=0.1, right=0.99, top=0.97, bottom=0.18)
        ax = fig.add_subplot()
        bars = [
            (p.position, p.median_retention) for p in positions if p.median_retention is not None
        ]
        if bars:
            xs, heights = zip(*bars, strict=True)
            ax.bar(xs, heights, color=REACH, alpha=0.35, width=0.6, label="median")
        for sequence in sequences:
            first = sequence.stories[0].reach if sequence.stories else None
            if not first or len(sequence.stories) < 2 or len(sequence.stories) != sequence.length:
                continue
            line = [
                (i + 1, s.reach / first)
                for i, s in enumerate(sequence.stories)
                if s.reach is not None
            ]
            ax.plot(*zip(*line, strict=True), color=INK, alpha=0.25, lw=0.8)
        ax.yaxis.set_major_formatter(PercentFormatter(1.0, decimals=0))
        ax.xaxis.set_major_locator(MaxNLocator(integer=True))
        ax.set_ylim(bottom=0)
        ax.set_xlabel("frame in the sequence")
        ax.set_ylabel("reach vs first frame")
        ax.grid(axis="y", color="#e4e7eb", lw=0.6)
        if not bars:
            ax.text(0.5, 0.5, "no sequence", transform=ax.transAxes, ha="center", color=MUTED)
        return _svg(fig, prefix)
