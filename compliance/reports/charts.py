"""Charts of the weekly audit report, drawn with matplotlib as SVG from the report content.

Pure: content in, SVG text out. The object-oriented API (``Figure``, no ``pyplot``) keeps no global
state, so charts can be drawn in a worker thread; a fixed hash salt and no date make the SVG
identical for identical content.
"""

from __future__ import annotations

import base64
import datetime as dt
import io
from typing import Any

import matplotlib
from matplotlib.figure import Figure
from matplotlib.ticker import MaxNLocator

from compliance.models import Effect

OUTCOME_COLOURS = {
    "clear": "#2da44e",
    "review": "#d4a72c",
    "licence_required": "#e16f24",
    "prohibited": "#cf222e",
}
OUTCOME_LABELS = dict(Effect.choices)
INK = "#1b1f24"
MUTED = "#57606a"
GRID = "#d0d7de"

# Upper bounds in hours; the last bin is open-ended.
DURATION_BINS: list[tuple[str, float]] = [
    ("< 1 h", 1),
    ("1–4 h", 4),
    ("4–8 h", 8),
    ("8–24 h", 24),
    ("1–2 d", 48),
    ("2–3 d", 72),
    ("3–7 d", 168),
    ("> 7 d", float("inf")),
]

RC = {
    "svg.hashsalt": "weekly-audit-report",
    "svg.fonttype": "path",
    "font.family": "DejaVu Sans",
    "font.size": 7.5,
    "axes.edgecolor": GRID,
    "axes.labelcolor": MUTED,
    "xtick.color": MUTED,
    "ytick.color": MUTED,
    "axes.titlesize": 8.5,
    "legend.fontsize": 7.5,
}


def _svg(fig: Figure) -> str:
    buf = io.StringIO()
    fig.savefig(buf, format="svg", metadata={"Date": None, "Creator": None}, bbox_inches="tight")
    return buf.getvalue()


def _style(ax: Any) -> None:
    for side in ("top", "right"):
        ax.spines[side].set_visible(False)
    ax.spines["left"].set_color(GRID)
    ax.spines["bottom"].set_color(GRID)
    ax.yaxis.set_major_locator(MaxNLocator(integer=True))
    ax.grid(axis="y", color=GRID, linewidth=0.6)
    ax.set_axisbelow(True)
    ax.tick_params(length=0)


def _empty(ax: Any, text: str) -> None:
    ax.text(
        0.5, 0.5, text, transform=ax.transAxes, ha="center", va="center", color=MUTED, fontsize=8.5
    )
    ax.set_ylim(0, 1)
    ax.set_yticks([])


def decisions_per_day_svg(content: dict[str, Any]) -> str:
    """Stacked bars: the week's decisions per day (report time zone), by outcome."""
    days = content["decisions"]["by_day"]
    labels = [dt.date.fromisoformat(d["date"]).strftime("%a\n%d %b") for d in days]
    with matplotlib.rc_context(RC):
        fig = Figure(figsize=(7.0, 2.3))
        ax = fig.subplots()
        _style(ax)
        bottom = [0] * len(days)
        for outcome, colour in OUTCOME_COLOURS.items():
            values = [d.get(outcome, 0) for d in days]
            ax.bar(
                labels,
                values,
                bottom=bottom,
                color=colour,
                width=0.62,
                label=OUTCOME_LABELS[outcome],
                edgecolor="white",
                linewidth=0.5,
            )
            bottom = [b + v for b, v in zip(bottom, values, strict=True)]
        if not any(bottom):
            _empty(ax, "No decisions in this week")
        else:
            for x, total in enumerate(bottom):
                if total:
                    ax.text(x, total, str(total), ha="center", va="bottom", fontsize=7, color=INK)
            ax.set_ylim(0, max(bottom) * 1.18)
        ax.set_ylabel("decisions")
        ax.legend(
            loc="upper center",
            bbox_to_anchor=(0.5, -0.2),
            ncol=4,
            frameon=False,
            handlelength=1,
        )
        return _svg(fig)


def duration_bins(seconds: list[int]) -> list[int]:
    counts = [0] * len(DURATION_BINS)
    for s in seconds:
        hours = s / 3600
        for i, (_, upper) in enumerate(DURATION_BINS):
            if hours < upper:
                counts[i] += 1
                break
    return counts


def time_to_approval_svg(content: dict[str, Any]) -> str:
    """Bars: how long the week's approvals (and rejections) waited from the held decision."""
    approvals = content["approvals"]
    approved = duration_bins([a["hold_seconds"] for a in approvals if a["action"] == "approve"])
    rejected = duration_bins([a["hold_seconds"] for a in approvals if a["action"] == "reject"])
    labels = [label for label, _ in DURATION_BINS]
    with matplotlib.rc_context(RC):
        fig = Figure(figsize=(7.0, 2.1))
        ax = fig.subplots()
        _style(ax)
        ax.bar(labels, approved, color="#0b5cad", width=0.62, label="Approved")
        ax.bar(labels, rejected, bottom=approved, color="#8c959f", width=0.62, label="Rejected")
        totals = [a + r for a, r in zip(approved, rejected, strict=True)]
        if not any(totals):
            _empty(ax, "No approvals or rejections in this week")
        else:
            for x, total in enumerate(totals):
                if total:
                    ax.text(x, total, str(total), ha="center", va="bottom", fontsize=7, color=INK)
            ax.set_ylim(0, max(totals) * 1.2)
        ax.set_ylabel("holds")
        ax.set_xlabel("time from the held decision to approval or rejection")
        ax.legend(
            loc="upper right", frameon=True, facecolor="white", edgecolor="white", handlelength=1
        )
        return _svg(fig)


def data_uri(svg: str) -> str:
    return "data:image/svg+xml;base64," + base64.b64encode(svg.encode()).decode()
