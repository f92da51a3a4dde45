"""The report's journeys section: the funnel, the paths as a Sankey, where sessions end,
the friction points and the incidents (from the run's result, or its output files)."""

from __future__ import annotations

from typing import Any

import pandas as pd
import plotly.graph_objects as go

from shopperlens import schema as s
from shopperlens.batch.result import RunResult
from shopperlens.report import charts as c

TOP_ROWS = 8  # friction points and incidents listed
EXIT = "(session ends)"
# The Sankey's columns are about 100 px apart: the spec's long event names drew over the
# next column's. Short names on the chart, the full ones on hover.
SHORT_STEPS = {"Product Viewed": "viewed", "Product Added": "added",
               "Checkout Started": "checkout", "Payment Info Entered": "payment",
               "Order Completed": "ordered", EXIT: "end"}


def _frames(result: RunResult) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame] | None:
    if result.journeys is not None:
        j = result.journeys
        return j.funnel, j.friction, j.incidents
    out = result.out_dir
    if out is None or not (out / f"{s.JOURNEYS_FILE}.parquet").is_file():
        return None
    return tuple(pd.read_parquet(out / f"{stem}.parquet")  # type: ignore[return-value]
                 for stem in (s.JOURNEYS_FILE, s.FRICTION_FILE, s.INCIDENTS_FILE))


def journeys(result: RunResult, names: dict[int, str]) -> dict[str, Any] | None:
    """Funnel and Sankey charts, exits with the contacts after them, and the top friction
    points and incidents; None when the run read no journeys."""
    metrics = result.record.get("metrics", {}).get("journeys")
    frames = _frames(result)
    if metrics is None or frames is None:
        return None
    funnel, friction, incidents = frames
    steps = metrics["steps"]
    overall = funnel.groupby("step", sort=False)[["sessions", "reached_next"]].sum()
    overall = overall.reindex([step for step in steps if step in overall.index])
    return {
        "sessions": metrics["sessions"],
        "funnel_chart": c.to_div(funnel_bars(overall), "journeys-funnel"),
        "sankey": c.to_div(path_sankey(metrics["paths"]), "journeys-sankey"),
        "exits": metrics["exits"],
        "friction": _named(friction.head(TOP_ROWS), names).to_dict("records"),
        "incidents": _named(incidents.head(TOP_ROWS), names).to_dict("records"),
        "n_friction": len(friction),
        "n_incidents": len(incidents),
    }


def _named(frame: pd.DataFrame, names: dict[int, str]) -> pd.DataFrame:
    """``frame`` with the segment's name (everyone, or visitors of no segment)."""
    everyone = "every visitor" if "started_on" in frame else "visitors of no segment"
    return frame.assign(segment=[everyone if pd.isna(i) else names.get(int(i), f"segment {i}")
                                 for i in frame[s.SEGMENT_ID]])


def funnel_bars(overall: pd.DataFrame) -> go.Figure:
    """Sessions at each step, with the conversion to the next one."""
    labels = list(overall.index)
    last = labels[-1] if labels else ""
    fig = go.Figure()
    fig.add_trace(go.Bar(
        y=labels, x=overall["sessions"], orientation="h", marker_color=c.PALETTE[0],
        text=[f"{n:,} sessions · {r / n:.0%} go on" if n else "" for n, r in
              zip(overall["sessions"], overall["reached_next"], strict=True)],
        textposition="auto", hovertemplate="%{y}: %{x:,} sessions<extra></extra>"))
    fig.update_yaxes(autorange="reversed")
    fig.update_layout(template=c.TEMPLATE, width=c.WIDTH, height=120 + 40 * len(labels),
                      title=f"Sessions reaching each step (next: up to {last})",
                      xaxis_title="sessions", margin={"l": 10})
    return fig


def path_sankey(paths: list[dict[str, Any]]) -> go.Figure:
    """The most common paths as a Sankey: a node per step and position along the path,
    a link per move (and one to the end of the session), widths in share of sessions."""
    nodes: dict[tuple[int, str], int] = {}
    links: dict[tuple[int, int], float] = {}

    def node(position: int, label: str) -> int:
        return nodes.setdefault((position, label), len(nodes))

    for path in paths:
        steps = [*path["path"], EXIT]
        for i, (a, b) in enumerate(zip(steps, steps[1:], strict=False)):
            key = (node(i, a), node(i + 1, b))
            links[key] = links.get(key, 0.0) + 100 * path["share"]
    labels = [label for (_, label) in nodes]
    fig = go.Figure(go.Sankey(
        # the gap between a column's nodes holds a line of label: small nodes' labels
        # overlapped with Plotly's usual 12 px
        node={"label": [SHORT_STEPS.get(label, label) for label in labels], "pad": 28,
              "customdata": labels, "hovertemplate": "%{customdata}<extra></extra>",
              "color": [c.GREY if label == EXIT else c.PALETTE[0] for label in labels]},
        link={"source": [a for a, _ in links], "target": [b for _, b in links],
              "value": list(links.values()),
              "hovertemplate": "%{source.customdata} → %{target.customdata}: %{value:.1f}% of "
                               "sessions<extra></extra>"}))
    fig.update_layout(template=c.TEMPLATE, width=c.WIDTH, height=420,
                      title="The most common paths through the funnel (% of sessions)")
    return fig

