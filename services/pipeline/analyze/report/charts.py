"""The PNG charts. Figures are made without pyplot (no global state, Agg canvas).

Every text from the input is a plain label (plain_text: one line, at most CHART_LABEL_MAX_CHARS) and no text
is read as mathtext, so a name cannot change a chart's size or fail its drawing ("$\\frac{$" did).
"""

from __future__ import annotations

import contextlib
import io
import warnings
from collections import defaultdict
from collections.abc import Callable, Iterator
from pathlib import Path

import matplotlib as mpl
import numpy as np
from matplotlib import font_manager, ticker
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.transforms import Bbox

from analyze.report import constants as c
from analyze.report.analysis import Analysis
from analyze.report.outputs import make_dir, remove, write_bytes
from analyze.report.plain_text import plain

_PALETTE = mpl.colormaps["tab10"].colors


@contextlib.contextmanager
def chart_style(font_path: str | None) -> Iterator[None]:
    """Matplotlib settings for every chart; a CJK font first in the family list when there is one."""
    families = ["DejaVu Sans"]
    if font_path:
        font_manager.fontManager.addfont(font_path)
        families.insert(0, font_manager.FontProperties(fname=font_path).get_name())
    style = {
        "font.family": "sans-serif",
        "font.sans-serif": families,
        "axes.unicode_minus": False,  # CJK fonts often lack U+2212
        "axes.spines.top": False,
        "axes.spines.right": False,
        "axes.grid": True,
        "grid.alpha": 0.3,
        "figure.dpi": c.CHART_DPI,
        # Text artists read these when they are made: a "$" in a model name stays a dollar sign.
        "text.parse_math": False,
        "text.usetex": False,
    }
    with mpl.rc_context(style):
        yield


def write_charts(analysis: Analysis, charts_dir: Path, font_path: str | None) -> dict[str, Path]:
    """Write each chart that has data; returns {"chart_<name>": path}."""
    make_dir(charts_dir)
    makers: dict[str, Callable[[Analysis], Figure | None]] = {
        "scores_by_model": _scores_by_model,
        "dimensions": _dimensions,
        "win_rates": _win_rates,
        "ranking": _ranking,
        "backends": _backends,
    }
    written = {}
    with chart_style(font_path), warnings.catch_warnings():
        # Without a CJK font the report already warns once; one warning per missing glyph is noise.
        warnings.filterwarnings("ignore", message="Glyph .* missing from font", category=UserWarning)
        for name, make in makers.items():
            figure = make(analysis)
            path = charts_dir / f"{name}.png"
            if figure is None:
                remove(path)  # a chart from an earlier report must not outlive its data
                continue
            written[f"chart_{name}"] = write_bytes(path, _png(figure))
    return written


def _png(figure: Figure) -> bytes:
    """The figure cropped to its artists as bbox_inches="tight" does, but never beyond CHART_MAX_INCHES
    around the figure: the crop grows with every text's extent, and the canvas is its width x height."""
    renderer = FigureCanvasAgg(figure).get_renderer()
    tight = figure.get_tightbbox(renderer).padded(0.1)
    width, height = figure.get_size_inches()
    margin = (c.CHART_MAX_INCHES - max(width, height)) / 2
    limit = Bbox.from_extents(-margin, -margin, width + margin, height + margin)
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", bbox_inches=Bbox.intersection(tight, limit) or limit)
    return buffer.getvalue()


def _figure(width: float, height: float) -> Figure:
    """A figure that grows with the number of models, up to CHART_MAX_INCHES on each side."""
    return Figure(figsize=(min(width, c.CHART_MAX_INCHES), min(height, c.CHART_MAX_INCHES)))


def _labels(names: list[str]) -> list[str]:
    return [plain(name, c.CHART_LABEL_MAX_CHARS) for name in names]


def _colour(analysis: Analysis, model: str) -> tuple[float, ...]:
    return _PALETTE[analysis.models.index(model) % len(_PALETTE)]


def _headline_dimension(analysis: Analysis) -> str:
    return c.OVERALL if c.OVERALL in analysis.dimensions else analysis.dimensions[0]


def _scores_by_model(analysis: Analysis) -> Figure | None:
    if not analysis.journal.candidates:
        return None
    dimension = _headline_dimension(analysis)
    values: dict[str, list[float]] = defaultdict(list)
    for candidate in analysis.journal.candidates:
        if dimension in candidate.scores:
            values[candidate.model].append(candidate.scores[dimension])
    models = [model for model in analysis.models if values[model]]
    figure = _figure(max(6, 1.2 * len(models) + 2), 4.5)
    axes = figure.add_subplot()
    boxes = axes.boxplot(
        [values[m] for m in models], tick_labels=_labels(models), patch_artist=True, showmeans=True
    )
    for box, model in zip(boxes["boxes"], models, strict=True):
        box.set(facecolor=_colour(analysis, model), alpha=0.6)
    t = analysis.texts
    axes.set(
        title=plain(t("chart_scores_title", dimension=t.dimension(dimension)), c.CHART_TITLE_MAX_CHARS),
        ylabel=t("chart_score_axis"),
        ylim=(0.5, 10.5),
    )
    axes.tick_params(axis="x", rotation=20)
    return figure


def _dimensions(analysis: Analysis) -> Figure | None:
    rows = analysis.model_rows
    if not rows:
        return None
    dimensions = analysis.dimensions
    figure = _figure(max(7, 1.4 * len(dimensions) + 2), 4.5)
    axes = figure.add_subplot()
    width = 0.8 / len(rows)
    positions = np.arange(len(dimensions))
    ordered = sorted(rows, key=lambda r: r["model"])
    bars = []
    for i, row in enumerate(ordered):
        means = np.array([_num(row[f"{d}_mean"]) for d in dimensions])
        lows = np.array([_num(row[f"{d}_ci_low"], default=m) for d, m in zip(dimensions, means, strict=True)])
        highs = np.array(
            [_num(row[f"{d}_ci_high"], default=m) for d, m in zip(dimensions, means, strict=True)]
        )
        bar = axes.bar(
            positions + (i - (len(rows) - 1) / 2) * width,
            means,
            width,
            yerr=[means - lows, highs - means],
            capsize=3,
            color=_colour(analysis, row["model"]),
        )
        bars.append(bar)
    t = analysis.texts
    axes.set_xticks(positions, _labels([t.dimension(d) for d in dimensions]), rotation=15)
    axes.set(title=t("chart_dimensions_title"), ylabel=t("chart_score_axis"), ylim=(0, 10.5))
    # Handles and labels given: from `label=`, matplotlib leaves out a model whose name starts with "_".
    axes.legend(bars, _labels([row["model"] for row in ordered]), loc="lower right", fontsize="small")
    return figure


def _num(value: float | None, default: float = np.nan) -> float:
    return default if value is None else float(value)


def _win_rates(analysis: Analysis) -> Figure | None:
    if len(analysis.models) < 2 or not analysis.wins.any():
        return None
    models, shares = analysis.ranked_pairwise()
    n = len(models)
    figure = _figure(max(5, 0.9 * n + 3), max(4, 0.8 * n + 2))
    axes = figure.add_subplot()
    image = axes.imshow(np.ma.masked_invalid(shares), cmap="RdYlGn", vmin=0, vmax=1)
    axes.set_xticks(range(n), _labels(models), rotation=30, ha="right")
    axes.set_yticks(range(n), _labels(models))
    axes.grid(False)
    for (row, column), share in np.ndenumerate(shares):
        if not np.isnan(share):
            ink = "white" if share < 0.15 or share > 0.85 else "black"  # readable on the dark ends
            axes.text(column, row, f"{share:.0%}", ha="center", va="center", fontsize="small", color=ink)
    t = analysis.texts
    axes.set(title=t("chart_win_title"), xlabel=t("chart_opponent"), ylabel=t("chart_model"))
    figure.colorbar(image, ax=axes, fraction=0.046, pad=0.04)
    return figure


def _ranking(analysis: Analysis) -> Figure | None:
    rows = [row for row in analysis.model_rows if row["bt_strength"] is not None and row["comparisons"]]
    if not rows:
        return None
    rows = sorted(rows, key=lambda r: r["bt_strength"])
    strength = np.array([row["bt_strength"] for row in rows])
    low = np.array([_num(row["bt_ci_low"], default=s) for row, s in zip(rows, strength, strict=True)])
    high = np.array([_num(row["bt_ci_high"], default=s) for row, s in zip(rows, strength, strict=True)])
    figure = _figure(7, max(2.2, 0.45 * len(rows) + 1.2))
    axes = figure.add_subplot()
    positions = np.arange(len(rows))
    axes.errorbar(
        strength,
        positions,
        xerr=[strength - np.minimum(low, strength), np.maximum(high, strength) - strength],
        fmt="o",
        capsize=4,
        color="#1f4e79",
    )
    axes.set_yticks(positions, _labels([row["model"] for row in rows]))
    axes.set_xscale("log")
    axes.xaxis.set_major_locator(ticker.LogLocator(subs=(1.0, 2.0, 5.0)))
    axes.xaxis.set_major_formatter(ticker.FuncFormatter(lambda value, _pos: f"{value:g}"))
    axes.xaxis.set_minor_formatter(ticker.NullFormatter())
    axes.set_ylim(-0.6, len(rows) - 0.4)
    axes.axvline(1.0, color="grey", linewidth=0.8, linestyle="--")
    axes.set(title=analysis.texts("chart_bt_title"), xlabel=analysis.texts("chart_bt_axis"))
    return figure


def _backends(analysis: Analysis) -> Figure | None:
    backends = analysis.summary["backends"]
    if not backends:
        return None
    names = list(backends)
    latencies: dict[str, list[float]] = defaultdict(list)
    for request in analysis.journal.requests:
        if request.latency_s is not None:
            latencies[request.backend].append(request.latency_s)
    figure = _figure(11, max(3, 0.5 * len(names) + 2))
    share_axes, latency_axes = figure.subplots(1, 2)
    positions = np.arange(len(names))
    share_axes.barh(positions, [backends[name]["share"] for name in names], color="#4a90c2")
    t = analysis.texts
    share_axes.set(title=t("chart_share_title"), xlabel=t("chart_share_axis"), xlim=(0, 1))
    with_latency = [i for i, name in enumerate(names) if latencies[name]]
    if with_latency:
        latency_axes.boxplot(
            [latencies[names[i]] for i in with_latency], positions=with_latency, orientation="horizontal"
        )
    latency_axes.set(title=t("chart_latency_title"), xlabel=t("chart_latency_axis"))
    for axes in (share_axes, latency_axes):
        axes.set_yticks(positions, _labels(names))
        axes.set_ylim(-0.6, len(names) - 0.4)
        axes.invert_yaxis()
    return figure
