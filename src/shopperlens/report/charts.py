"""Plotly figures of the report, and their conversion to ``<div>`` fragments.

Every figure has a title, axis titles with units and a fixed size: charts are at most
:data:`WIDTH` pixels wide so they fit the printable width of an A4 or Letter page without
being cut or rescaled. Segment colours come from one mapping built by the caller (see
:func:`segment_colours`), so a segment has the same colour in every chart.

Figures carry a small template of their own instead of Plotly's default one, which adds
about 8 kB of JSON to each chart.
"""

from __future__ import annotations

import itertools
import textwrap
from collections.abc import Iterator, Mapping, Sequence

import numpy as np
import pandas as pd
import plotly.graph_objects as go
from markupsafe import escape
from plotly.subplots import make_subplots

WIDTH = 700
TITLE_MARGIN = 24  # least top margin of a chart whose title is an HTML heading
CARD_WIDTH = 640  # inside a card's border and padding, still within an A4 page
GREY = "#9aa0a6"
# Tableau 10 without its grey (grey means "no purchases"), then Plotly's Dark24 for the
# rare runs with more than nine segments (the settings allow up to 30).
PALETTE = (
    "#4E79A7", "#F28E2B", "#E15759", "#76B7B2", "#59A14F", "#EDC948", "#B07AA1", "#FF9DA7",
    "#9C755F", "#2E91E5", "#E15F99", "#1CA71C", "#FB0D0D", "#DA16FF", "#B68100", "#750D86",
    "#EB663B", "#511CFB", "#00A08B", "#FB00D1", "#FC0080", "#B2828D", "#6C7C32", "#778AAE",
    "#862A16", "#A777F1", "#620042", "#1616A7", "#DA60CA", "#6C4516", "#0D2A63", "#AF0038",
)
RFM_COLOURS = {
    "Champions": "#1a9850", "Loyal": "#66bd63", "Potential loyalists": "#a6d96a",
    "New": "#4575b4", "Promising": "#74add1", "Need attention": "#fee08b",
    "About to sleep": "#fdae61", "At risk": "#f46d43", "Can't lose them": "#d73027",
    "Hibernating": "#b2abd2", "Lost": "#8073ac", "No purchases": GREY,
}
# No mode bar: it sat on top of long titles, and a report is read, not edited.
CONFIG = {"displaylogo": False, "responsive": False, "displayModeBar": False}
TEMPLATE = go.layout.Template(layout={
    "font": {"family": "system-ui, -apple-system, 'Segoe UI', Roboto, sans-serif", "size": 12,
             "color": "#222"},
    "paper_bgcolor": "white", "plot_bgcolor": "white",
    "xaxis": {"gridcolor": "#e8e8e8", "zerolinecolor": "#bbb", "automargin": True},
    "yaxis": {"gridcolor": "#e8e8e8", "zerolinecolor": "#bbb", "automargin": True},
    "title": {"x": 0, "xanchor": "left", "font": {"size": 15}},
    "margin": {"l": 60, "r": 20, "t": 50, "b": 50},
    "legend": {"bgcolor": "rgba(255,255,255,0.8)"},
})


def segment_colours(segment_ids: Sequence[int]) -> dict[int, str]:
    """One colour per segment id, in id order; negative ids (no purchases) are grey.

    Examples
    --------
    >>> segment_colours([1, 0, -1])
    {-1: '#9aa0a6', 0: '#4E79A7', 1: '#F28E2B'}
    """
    ordered = sorted(set(int(i) for i in segment_ids))
    positive = [i for i in ordered if i >= 0]
    colours = {i: GREY for i in ordered if i < 0}
    colours.update({i: PALETTE[n % len(PALETTE)] for n, i in enumerate(positive)})
    return colours


def to_div(fig: go.Figure, name: str) -> str:
    """The figure as an HTML fragment that draws with the page's inlined Plotly.js.

    The figure's title becomes an HTML heading above it, which wraps as text does:
    inside the SVG a long title would run off the chart."""
    _wrap_axis_titles(fig)
    title = fig.layout.title.text
    if title:
        margin = fig.layout.margin.t if fig.layout.margin.t is not None else 50
        fig.update_layout(title_text=None, margin_t=max(TITLE_MARGIN, margin - 30))
    div = str(fig.to_html(full_html=False, include_plotlyjs=False, div_id=f"chart-{name}",
                          config=CONFIG))
    heading = f'<div class="chart-title">{escape(title)}</div>' if title else ""
    return heading + div


AXIS_TITLE_CHARS = 40  # about 280 px: the plot beside a card's longest labels is wider


def _wrap_axis_titles(fig: go.Figure) -> None:
    """Break a long x-axis title over lines: Plotly centres it under the plot, which
    long labels beside it narrow, and a title wider than the plot runs off the chart.
    Only charts of horizontal bars or boxes have such labels."""
    if not any(getattr(trace, "orientation", None) == "h" for trace in fig.data):
        return
    for name in [k for k in fig.layout if k.startswith("xaxis")]:
        axis = fig.layout[name]
        text = axis.title.text
        if text and len(text) > AXIS_TITLE_CHARS and "<br>" not in text:
            lines = textwrap.wrap(text, AXIS_TITLE_CHARS)
            axis.title.text = "<br>".join(lines)
            bottom = fig.layout.margin.b if fig.layout.margin.b is not None else 50
            fig.update_layout(margin_b=bottom + 16 * (len(lines) - 1))


def _figure(title: str, height: int, **layout: object) -> go.Figure:
    fig = go.Figure()
    fig.update_layout(template=TEMPLATE, title=title, width=WIDTH, height=height, **layout)
    return fig


def share_bars(table: pd.DataFrame, colours: Mapping[str, str], *, title: str) -> go.Figure:
    """Share of customers and share of revenue per group, side by side.

    ``table`` has index = group label and columns ``share`` and ``revenue_share`` (0-1).
    """
    fig = make_subplots(rows=1, cols=2, shared_yaxes=True, horizontal_spacing=0.04,
                        subplot_titles=("Share of customers (%)", "Share of revenue (%)"))
    labels = list(table.index)
    bar_colours = [colours.get(label, GREY) for label in labels]
    for col, column in enumerate(("share", "revenue_share"), start=1):
        values = 100 * table[column].to_numpy(dtype=float)
        fig.add_trace(go.Bar(
            y=labels, x=values, orientation="h", marker_color=bar_colours, showlegend=False,
            text=[f"{v:.1f}%" for v in values], textposition="auto",
            hovertemplate="%{y}: %{x:.1f}%<extra></extra>",
        ), row=1, col=col)
        fig.update_xaxes(title_text="% of total", row=1, col=col, rangemode="tozero")
    fig.update_yaxes(autorange="reversed")
    fig.update_layout(template=TEMPLATE, title=title, width=WIDTH,
                      height=120 + 28 * len(labels), margin={"l": 10})
    return fig


def segment_map(points: pd.DataFrame, names: Mapping[int, str], colours: Mapping[int, str],
                axis_titles: tuple[str, str]) -> go.Figure:
    """Scatter of customers on two components, coloured and labelled by segment.

    ``points`` has columns ``x``, ``y`` and ``segment_id``.
    """
    # the legend under the plot, two names a row
    margin = {**MAP_MARGIN, "b": 70 + 20 * -(-points["segment_id"].nunique() // 2)}
    fig = _figure("Segment map: customers in two dimensions", MAP_PLOT + margin["b"] + 30,
                  xaxis_title=axis_titles[0], yaxis_title=axis_titles[1], margin=margin,
                  legend={"orientation": "h", "y": -0.14, "yanchor": "top", "x": 0,
                          "itemsizing": "constant"})
    for seg, group in points.groupby("segment_id", sort=True):
        fig.add_trace(go.Scatter(
            x=group["x"].to_numpy(), y=group["y"].to_numpy(), mode="markers",
            name=names[int(seg)], marker={"color": colours[int(seg)], "size": 4, "opacity": 0.55},
            hovertemplate=f"{names[int(seg)]}<extra></extra>",
        ))
    x_range, y_range = _padded(points["x"]), _padded(points["y"])
    fig.update_xaxes(range=x_range, automargin=False)
    fig.update_yaxes(range=y_range, automargin=False)
    centres = points.groupby("segment_id")[["x", "y"]].median()
    sizes = points["segment_id"].value_counts()
    order = sorted(centres.index, key=lambda seg: -int(sizes.get(seg, 0)))  # biggest first
    labels = [(f"<b>{names[int(seg)]}</b>", *centres.loc[seg]) for seg in order]
    frame = (WIDTH - MAP_MARGIN["l"] - MAP_MARGIN["r"], MAP_PLOT + 30 - TITLE_MARGIN)
    for (text, x, y), (dx, dy), seg in zip(
            labels, place_labels(labels, x_range, y_range, frame), order, strict=True):
        fig.add_annotation(x=x, y=y, text=text, showarrow=bool(dx or dy), ax=dx, ay=dy,
                           arrowcolor=colours[int(seg)], arrowwidth=1.5, standoff=2,
                           bgcolor="rgba(255,255,255,0.9)", bordercolor=colours[int(seg)],
                           borderwidth=1.5, font={"size": 11})
    return fig


MAP_PLOT = 430  # pixels of the plot's height (and the 30 px above it, less the margin)
MAP_MARGIN = {"l": 60, "r": 20, "t": 30}
LABEL_FONT_PX = (7.0, 20.0)  # width of a bold 11 px character, height of a label box


def _padded(values: pd.Series) -> list[float]:
    low, high = float(values.min()), float(values.max())
    pad = 0.05 * (high - low or 1.0)
    return [low - pad, high + pad]


def place_labels(labels: Sequence[tuple[str, float, float]], x_range: Sequence[float],
                 y_range: Sequence[float], frame: tuple[float, float]) -> list[tuple[int, int]]:
    """Pixel offsets (dx, dy) of each label from its anchor so that no two labels'
    boxes overlap and every box stays inside the plot: the first free spot of a spiral
    of candidates around the anchor, else the nearest free spot of the plot, label by
    label in order (biggest segment first, at its centre).

    ``labels`` are (text, x, y) in data units; ``frame`` is the plot's (width, height)
    in pixels. Box widths are estimated from the text's length.
    """
    width, height = frame
    placed: list[tuple[float, float, float, float]] = []
    offsets: list[tuple[int, int]] = []
    for text, x, y in labels:
        chars = len(text.replace("<b>", "").replace("</b>", ""))
        w, h = chars * LABEL_FONT_PX[0] + 10, LABEL_FONT_PX[1] + 4
        px = (x - x_range[0]) / (x_range[1] - x_range[0]) * width
        py = (y_range[1] - y) / (y_range[1] - y_range[0]) * height  # down, as the screen
        best = None
        for dx, dy in itertools.chain(_spiral(), _grid(px, py, frame)):
            box = (px + dx - w / 2, py + dy - h / 2, px + dx + w / 2, py + dy + h / 2)
            inside = box[0] >= 0 and box[1] >= 0 and box[2] <= width and box[3] <= height
            if inside and not any(_overlap(box, other) for other in placed):
                best = (dx, dy, box)
                break
        if best is None:  # no free spot at all: stay clamped inside, at the anchor's height
            dx = round(min(max(w / 2 - px, 0), width - w / 2 - px))
            best = (dx, 0, (px + dx - w / 2, py - h / 2, px + dx + w / 2, py + h / 2))
        placed.append(best[2])
        offsets.append((int(best[0]), int(best[1])))
    return offsets


def _spiral() -> list[tuple[int, int]]:
    """Candidate offsets: the anchor, then rings of growing radius (vertical moves first,
    as labels are wide and short)."""
    out = [(0, 0)]
    for radius in (26, 48, 72, 100, 130, 170, 220):
        for angle in (90, 270, 60, 120, 240, 300, 30, 150, 210, 330, 0, 180):
            rad = np.deg2rad(angle)
            # whole pixels: the offsets Plotly is given are the ones checked here
            out.append((int(round(radius * 2.2 * np.cos(rad))),
                        int(round(-radius * np.sin(rad)))))
    return out


def _grid(px: float, py: float, frame: tuple[float, float]) -> Iterator[tuple[int, int]]:
    """Every spot of the plot on a 10 px grid, as offsets from (px, py), nearest first:
    where a label goes when the spiral around its anchor is full (computed only then)."""
    xs, ys = np.arange(0, frame[0] + 1, 10), np.arange(0, frame[1] + 1, 10)
    spots = [(int(round(x - px)), int(round(y - py))) for x in xs for y in ys]
    yield from sorted(spots, key=lambda d: (d[0] / 2.2) ** 2 + d[1] ** 2)


def _overlap(a: tuple[float, float, float, float], b: tuple[float, float, float, float]) -> bool:
    return a[0] < b[2] and b[0] < a[2] and a[1] < b[3] and b[1] < a[3]


def profile_bars(gaps: pd.Series, colour: str, *, title: str) -> go.Figure:
    """Standardised difference of a segment from all customers, one bar per feature.

    ``gaps`` is indexed by plain-word feature labels, sorted as they should be drawn.
    """
    values = gaps.to_numpy(dtype=float)
    opacity = [1.0 if abs(v) >= 0.5 else 0.45 for v in values]  # 0.5 sd: what names use
    # a short axis title: centred under the bars, beside long labels, a long one ran off
    fig = _figure(title, 90 + 22 * len(values), xaxis_title="difference (standard deviations)",
                  margin={"l": 10, "r": 20, "t": 45, "b": 45})
    fig.update_layout(width=CARD_WIDTH)
    fig.add_trace(go.Bar(
        y=list(gaps.index), x=values, orientation="h",
        marker={"color": colour, "opacity": opacity},
        hovertemplate="%{y}: %{x:+.2f} sd<extra></extra>", showlegend=False,
    ))
    limit = max(1.0, float(np.nanmax(np.abs(values))) if len(values) else 1.0) * 1.05
    fig.update_xaxes(range=[-limit, limit], zeroline=True, zerolinewidth=1.5)
    fig.update_yaxes(autorange="reversed")
    return fig


def rfm_heatmap(counts: pd.DataFrame, labels: pd.DataFrame) -> go.Figure:
    """Customers per recency score (x) and frequency score (y), cells named by RFM segment.

    ``counts`` and ``labels`` are 5 x 5 frames indexed by F score (rows) and R score
    (columns), 1-5.
    """
    total = max(int(counts.to_numpy().sum()), 1)
    text = [[f"{labels.iat[i, j]}<br>{100 * counts.iat[i, j] / total:.1f}%"
             for j in range(counts.shape[1])] for i in range(counts.shape[0])]
    fig = _figure("RFM grid: customers by recency and frequency score", 520,
                  xaxis_title="recency score (5 = ordered most recently)",
                  yaxis_title="frequency score (5 = most orders)")
    fig.add_trace(go.Heatmap(
        z=counts.to_numpy(), x=[str(c) for c in counts.columns],
        y=[str(i) for i in counts.index], text=text, texttemplate="%{text}",
        textfont={"size": 10}, colorscale="Blues", colorbar={"title": {"text": "customers"}},
        hovertemplate="R %{x}, F %{y}: %{z} customers<extra></extra>", xgap=2, ygap=2,
    ))
    fig.update_xaxes(type="category", gridcolor="white")
    fig.update_yaxes(type="category", gridcolor="white")
    return fig


def box_by_segment(stats: pd.DataFrame, colours: Mapping[int, str], names: Mapping[int, str],
                   *, title: str, axis: str) -> go.Figure:
    """Pre-computed box plots per segment (so 1M customers cost a few numbers each).

    ``stats`` is indexed by segment id with columns q05, q25, q50, q75, q95 and mean.
    """
    fig = _figure(title, 110 + 34 * len(stats), xaxis_title=axis, showlegend=False,
                  margin={"l": 10, "r": 20, "t": 45, "b": 45})
    for seg, row in stats.iterrows():
        fig.add_trace(go.Box(
            y=[names[int(seg)]], q1=[row["q25"]], median=[row["q50"]], q3=[row["q75"]],
            lowerfence=[row["q05"]], upperfence=[row["q95"]], mean=[row["mean"]],
            orientation="h", marker_color=colours[int(seg)], name=names[int(seg)],
            hoverinfo="x",
        ))
    fig.update_yaxes(autorange="reversed")
    return fig


def mean_bars(values: pd.Series, colours: Mapping[int, str], names: Mapping[int, str], *,
              title: str, axis: str) -> go.Figure:
    """One horizontal bar per segment (index = segment id)."""
    fig = _figure(title, 110 + 28 * len(values), xaxis_title=axis, showlegend=False,
                  margin={"l": 10, "r": 20, "t": 45, "b": 45})
    segs = [int(s) for s in values.index]
    fig.add_trace(go.Bar(
        y=[names[s] for s in segs], x=values.to_numpy(dtype=float), orientation="h",
        marker_color=[colours[s] for s in segs], hovertemplate="%{y}: %{x:.3g}<extra></extra>",
    ))
    fig.update_yaxes(autorange="reversed")
    return fig


def stacked_shares(shares: pd.DataFrame, names: Mapping[int, str], *, title: str,
                   axis: str) -> go.Figure:
    """100% stacked bars: rows = segment ids, columns = categories (shares 0-1)."""
    fig = _figure(title, 130 + 28 * len(shares), xaxis_title=axis, barmode="stack",
                  legend={"orientation": "h", "y": 1.0, "yanchor": "bottom", "x": 1,
                          "xanchor": "right"},
                  margin={"l": 10, "r": 20, "t": 60, "b": 45})
    labels = [names[int(s)] for s in shares.index]
    for n, column in enumerate(shares.columns):
        fig.add_trace(go.Bar(
            y=labels, x=100 * shares[column].to_numpy(dtype=float), orientation="h",
            name=str(column), marker_color=PALETTE[(n + 9) % len(PALETTE)],
            hovertemplate=f"%{{y}}: {column} %{{x:.1f}}%<extra></extra>",
        ))
    fig.update_yaxes(autorange="reversed")
    fig.update_xaxes(range=[0, 100])
    return fig


def predicted_vs_actual(table: pd.DataFrame, *, title: str, x: str, predicted: str,
                        actual: str, axis: str) -> go.Figure:
    """Predicted and actual mean per group (e.g. decile of the prediction) as grouped bars."""
    fig = _figure(title, 380, xaxis_title=x.replace("_", " "), yaxis_title=axis,
                  barmode="group", legend={"orientation": "h", "y": 1.08, "x": 1,
                                           "xanchor": "right"})
    groups = [str(v) for v in table[x]]
    fig.add_trace(go.Bar(x=groups, y=table[predicted], name="predicted", marker_color="#4E79A7"))
    fig.add_trace(go.Bar(x=groups, y=table[actual], name="actual", marker_color="#F28E2B"))
    fig.update_xaxes(type="category")
    return fig


def forecast_bands(total: pd.DataFrame, categories: pd.DataFrame, *, title: str,
                   axis: str, period: str = "week") -> go.Figure:
    """The total's weekly (or daily) forecast with its 95% and 80% intervals as bands, and
    each category's forecast as a line."""
    fig = _figure(title, 400, yaxis_title=axis,
                  xaxis_title="week starting" if period == "week" else "day",
                  legend={"orientation": "h", "y": -0.25})
    weeks = [str(w) for w in total["period_start"]]
    for level, shade in ((95, "rgba(78,121,167,0.15)"), (80, "rgba(78,121,167,0.3)")):
        fig.add_trace(go.Scatter(x=weeks + weeks[::-1], fill="toself", fillcolor=shade,
                                 y=list(total[f"units_hi{level}"]) +
                                 list(total[f"units_lo{level}"])[::-1],
                                 line={"width": 0}, name=f"total, {level}% interval",
                                 hoverinfo="skip"))
    fig.add_trace(go.Scatter(x=weeks, y=total["units"], name="total", mode="lines+markers",
                             line={"color": "#4E79A7", "width": 3}))
    for name, rows in categories.groupby("category"):
        fig.add_trace(go.Scatter(x=[str(w) for w in rows["period_start"]], y=rows["units"],
                                 name=str(name), mode="lines", line={"width": 1.5}))
    return fig
