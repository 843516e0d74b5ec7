"""The report's pictures: a confusion matrix and a histogram of confidences, as PNG files.

Figures are drawn with matplotlib's object API on the Agg canvas, never through ``pyplot``:
nothing global changes, no display is needed, and a server or worker can draw in threads.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.colors import PowerNorm
from matplotlib.figure import Figure

from parley.evaluation.metrics import ClassificationReport

_ANNOTATE_UP_TO = 30
"""Labels up to which each cell shows its count; beyond, the numbers would not fit."""


def confusion_matrix_png(report: ClassificationReport, path: Path, *, title: str) -> None:
    """Rows are gold labels, columns predictions. Colours are shares of each row, so a
    rare label's mistakes show as clearly as a frequent one's; counts are written in the
    cells while they fit. The figure grows with the labels (Banking77's 77 stay legible)."""
    labels = report.confusion_labels
    counts = np.array(report.confusion_matrix, dtype=np.int64).reshape(len(labels), len(labels))
    rows = counts.sum(axis=1, keepdims=True)
    shares = np.divide(counts, rows, out=np.zeros(counts.shape, dtype=float), where=rows > 0)
    size = float(min(max(6.0, 0.26 * len(labels) + 3.0), 45.0))
    font = float(max(6.5, min(10.0, 360.0 / max(len(labels), 1))))
    figure = Figure(figsize=(size + 1.5, size), layout="constrained")
    FigureCanvasAgg(figure)
    axes = figure.add_subplot()
    # A square-root scale keeps a few stray mistakes visible next to a dark diagonal.
    colours = PowerNorm(gamma=0.5, vmin=0.0, vmax=1.0)
    image = axes.imshow(shares, cmap="Blues", norm=colours, interpolation="nearest")
    figure.colorbar(image, ax=axes, shrink=0.6, label="share of the gold label's examples")
    positions = np.arange(len(labels))
    axes.set_xticks(positions, labels, rotation=90, fontsize=font)
    axes.set_yticks(positions, labels, fontsize=font)
    axes.set_xlabel("predicted")
    axes.set_ylabel("gold")
    axes.set_title(title)
    if len(labels) <= _ANNOTATE_UP_TO:
        for row, column in zip(*np.nonzero(counts), strict=True):
            colour = "white" if shares[row, column] > 0.35 else "black"
            axes.text(
                column,
                row,
                str(counts[row, column]),
                ha="center",
                va="center",
                fontsize=font,
                color=colour,
            )
    figure.savefig(path, format="png", dpi=100)


def confidence_histogram_png(
    correct: Sequence[float], wrong: Sequence[float], path: Path, *, title: str
) -> None:
    """How confident right and wrong predictions were, side by side in bins of 0.05."""
    figure = Figure(figsize=(8.0, 5.0), layout="constrained")
    FigureCanvasAgg(figure)
    axes = figure.add_subplot()
    bins = [step / 20 for step in range(21)]
    axes.hist(
        [list(correct), list(wrong)],
        bins=bins,
        color=["#2e7d32", "#c62828"],
        label=[f"correct ({len(correct)})", f"wrong ({len(wrong)})"],
    )
    axes.set_xlim(0.0, 1.0)
    axes.set_xlabel("confidence")
    if correct or wrong:
        # Right answers usually outnumber wrong ones a hundredfold near 1.0; a log scale
        # keeps the wrong ones readable beside them.
        axes.set_yscale("log")
        axes.set_ylim(bottom=0.5)  # a bin of one stays visible
        axes.set_ylabel("predictions (log scale)")
    else:
        axes.set_ylabel("predictions")
    axes.set_title(title)
    axes.legend(loc="upper left")
    figure.savefig(path, format="png", dpi=100)
