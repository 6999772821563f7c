"""The house style of every figure (simulations.figures, simulations.paper_figures): one column
wide (3.4 in), fonts no smaller than :data:`MIN_FONT_PT`, the Okabe-Ito colour-blind-safe
palette, the legend below the axes, vector PDF plus a 300-dpi PNG."""

from __future__ import annotations

from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

__all__ = ["OKABE_ITO", "STYLE", "MIN_FONT_PT", "legend_below", "save_figure"]

# Okabe & Ito (2008), the colour-blind-safe qualitative palette.
OKABE_ITO = ["#0072B2", "#D55E00", "#009E73", "#CC79A7", "#E69F00", "#56B4E9", "#F0E442",
             "#000000"]
STYLE = {"figure.figsize": (3.4, 2.5), "font.size": 8, "axes.labelsize": 8, "legend.fontsize": 6.5,
         "xtick.labelsize": 7, "ytick.labelsize": 7, "lines.linewidth": 1.2,
         "savefig.bbox": "tight", "pdf.fonttype": 42, "figure.constrained_layout.use": True}
MIN_FONT_PT = 6.0        # no text smaller (checked on every figure by the tests)


def legend_below(fig, ax=None, ncol=2):
    """One legend for the figure, below every axes (never over the data): the entries of
    ``ax`` (default: the first axes)."""
    handles, labels = (ax or fig.axes[0]).get_legend_handles_labels()
    if handles:       # the figure grows by the legend's height: the axes keep theirs
        fig.set_figheight(fig.get_figheight() + 0.13 * -(-len(handles) // ncol))
        fig.legend(handles, labels, loc="outside lower center", ncol=ncol, frameon=False)


def save_figure(fig, folder, stem) -> list:
    """``stem``.pdf and ``stem``.png in ``folder``; closes the figure."""
    paths = [Path(folder) / f"{stem}.pdf", Path(folder) / f"{stem}.png"]
    fig.savefig(paths[0])
    fig.savefig(paths[1], dpi=300)
    plt.close(fig)
    return paths
